/** Attributes of {@link h}: `on*` functions become listeners, the rest attributes (false/null: absent). */
type Attributes = Record<
  string,
  string | number | boolean | null | undefined | ((e: Event) => void)
>;
type Child = Node | string | number | null | undefined | false;

/**
 * Creates an element with attributes and children. Text is always set as text (never parsed as
 * HTML): every value shown comes from the API or a dropped file, which an attacker may control.
 */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Attributes = {},
  ...children: (Child | Child[])[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (value === true) element.setAttribute(name, '');
    else if (value !== false && value !== null && value !== undefined)
      element.setAttribute(name, String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    element.append(child instanceof Node ? child : String(child));
  }
  return element;
}

/** Replaces an element's children. */
export function show(parent: Element, ...children: (Child | Child[])[]): void {
  parent.replaceChildren();
  for (const child of children.flat())
    if (child !== null && child !== undefined && child !== false)
      parent.append(child instanceof Node ? child : String(child));
}

/** A `<pre>` with a value as indented JSON. */
export function json(value: unknown, label?: string): HTMLPreElement {
  return h('pre', { tabindex: 0, 'aria-label': label }, JSON.stringify(value, null, 2));
}

/** A definition list from label/value pairs (null values are left out). */
export function facts(rows: [string, Child | Child[]][]): HTMLDListElement {
  return h(
    'dl',
    {},
    rows.flatMap(([term, value]) =>
      value === null ? [] : [h('dt', {}, term), h('dd', {}, value)],
    ),
  );
}
