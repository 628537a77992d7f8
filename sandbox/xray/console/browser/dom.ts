/** DOM helpers of the console pages: text is always set through textContent, never parsed as HTML. */

type Child = Node | string | null | undefined | false;
type Attributes = Record<string, string | number | boolean | undefined>;

function setAttributes(el: Element, attrs: Attributes): void {
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === false) continue;
    if (key === 'text') el.textContent = String(value);
    else el.setAttribute(key === 'className' ? 'class' : key, value === true ? '' : String(value));
  }
}

function append(el: Element, children: Child[]): void {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    el.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Attributes = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: Attributes = {},
  ...children: Child[]
): SVGElementTagNameMap[K] {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`console page: no #${id}`);
  return el as T;
}

export function showError(container: Element, err: unknown): void {
  container.replaceChildren(
    h('div', { className: 'error-box', role: 'alert', text: String((err as Error)?.message ?? err) }),
  );
}

/** Announces a short status to screen readers (the page's live region) and shows it. */
export function announce(text: string): void {
  const status = document.getElementById('status');
  if (status) status.textContent = text;
}
