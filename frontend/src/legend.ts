// The legend of the score colour scale: low to high, and the neutral colour of "no score".

import { h } from './dom';
import { WALL_NO_SCORE, rampGradient, scoreColour, wallRampGradient } from './palette';

export function scaleLegend(low = '0%', high = '100%', none = 'no score'): HTMLElement {
  return h(
    'div',
    { class: 'scale-legend', 'aria-hidden': 'true' },
    h('span', {}, low),
    h('span', { class: 'scale-ramp', style: `background:${rampGradient()}` }),
    h('span', {}, high),
    h('span', { class: 'swatch', style: `background:${scoreColour(null).bg}` }),
    h('span', {}, none),
  );
}

/** The legend of the wall's score scale (`wallScoreColour`): low to high, and "no score". */
export function wallScaleLegend(low = '0%', high = '100%', none = 'no score'): HTMLElement {
  return h(
    'div',
    { class: 'scale-legend', 'aria-hidden': 'true' },
    h('span', {}, low),
    h('span', { class: 'scale-ramp', style: `background:${wallRampGradient()}` }),
    h('span', {}, high),
    h('span', { class: 'swatch', style: `background:${WALL_NO_SCORE.bg}` }),
    h('span', {}, none),
  );
}
