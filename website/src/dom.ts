/** Tiny DOM helpers. Text always goes in through `textContent`: API data is never parsed as HTML. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const found = document.getElementById(id);
  if (!found) throw new Error(`page is missing #${id}`);
  return found as T;
}

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, string>> = {},
  ...children: (Node | string)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) if (value !== undefined) node.setAttribute(name, value);
  node.append(...children);
  return node;
}

export function alignmentOf(m: { goodEvil: string; lawChaos: string }): string {
  return m.goodEvil === 'Neutral' && m.lawChaos === 'Neutral' ? 'True Neutral' : `${m.lawChaos} ${m.goodEvil}`;
}

export function ageOf(age: number): string {
  return `${age.toLocaleString('en')} ${age === 1 ? 'year' : 'years'}`;
}
