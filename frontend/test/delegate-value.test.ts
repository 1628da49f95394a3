import { describe, expect, it } from 'vitest';
import { readValue } from '../src/delegate-value';
import { fieldName, plainMessage } from '../src/forms';

describe('a value typed on a phone', () => {
  it('reads numbers as people type them', () => {
    for (const [typed, value] of [
      ['12.5', 12.5],
      [' 12.5 ', 12.5],
      ['-3', -3],
      ['\u22123', -3],
      ['.5', 0.5],
      ['7.', 7],
      ['1,250', 1250],
      ['1,250,000.75', 1250000.75],
      ['1 250', 1250],
      ['2e3', 2000],
      ['0', 0],
    ] as const) {
      expect(readValue(typed), typed).toEqual({ ok: true, value });
    }
  });

  it('refuses what is not a number, in words, rather than guessing', () => {
    for (const [typed, words] of [
      ['', /Type the value/],
      ['abc', /not a number/],
      ['12,5', /use a dot for decimals/],
      ['1,25', /use a dot/],
      ['12.5.1', /not a number/],
      ['1e999', /too large/],
      ['12 %', /not a number/],
      ['0x10', /not a number/],
    ] as const) {
      const r = readValue(typed);
      expect(r.ok, typed).toBe(false);
      expect(!r.ok && r.message, typed).toMatch(words);
    }
  });
});

describe('server messages in a delegate’s words', () => {
  it('says parser phrases plainly', () => {
    expect(plainMessage('invalid type: string "abc", expected f64')).toBe('“abc” is not a number: type digits, such as 12.5.');
    expect(plainMessage('invalid type: string "x", expected i64')).toMatch(/not a whole number/);
    expect(plainMessage('invalid type: null, expected f64')).toBe('This is needed.');
    expect(plainMessage('unknown variant `up`, expected `increase` or `decrease`')).toBe('“up” is not one of the choices: increase, decrease.');
    expect(plainMessage('missing field `title` at line 1 column 20')).toBe('Title is missing.');
    expect(plainMessage('must be one of the primer’s focus areas')).toBe('must be one of the primer’s focus areas');
  });

  it('names fields as a person would', () => {
    expect(fieldName('value')).toBe('Value');
    expect(fieldName('[0].value')).toBe('Value');
    expect(fieldName('key_results[2].pillar')).toBe('Key result 3, pillar');
    expect(fieldName('key_results[0].targets.2027')).toBe('Key result 1, target 2027');
    expect(fieldName('focus_areas[1]')).toBe('Focus area 2');
    expect(fieldName('')).toBe('This');
  });
});
