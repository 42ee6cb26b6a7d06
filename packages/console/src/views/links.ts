import { h } from '../dom.js';

/** A link inside the console (hash route). */
export function link(href: string, text: string): HTMLAnchorElement {
  return h('a', { href }, text);
}
