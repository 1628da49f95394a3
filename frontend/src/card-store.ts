// The delegation cards the Secretariat was last given, kept in this tab's sessionStorage for the
// /cards page: the server shows a card's code only in the answer that issues it.

import type { StoredCards } from './access';
import { CARDS_KEY, parseCards } from './access';

export function storeCards(cards: StoredCards): boolean {
  try {
    sessionStorage.setItem(CARDS_KEY, JSON.stringify(cards));
    return true;
  } catch {
    return false;
  }
}

export function loadCards(): StoredCards | null {
  try {
    return parseCards(sessionStorage.getItem(CARDS_KEY));
  } catch {
    return null;
  }
}

export function forgetCards(): void {
  try {
    sessionStorage.removeItem(CARDS_KEY);
  } catch {
    // nothing kept
  }
}
