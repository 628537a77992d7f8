/**
 * The anonymous visitor id sent with each click: random, kept in localStorage so one visitor's clicks group
 * together. Built from `crypto.getRandomValues` because `crypto.randomUUID` is missing on plain-HTTP pages
 * (an S3 website endpoint). Fits the click model's `^[A-Za-z0-9_-]+$`, at most 64 characters.
 */
const STORAGE_KEY = 'mysfits.userId';
const VALID = /^[A-Za-z0-9_-]{1,64}$/;
let memoryFallback: string | undefined;

export function newUserId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

export function getUserId(storage: Pick<Storage, 'getItem' | 'setItem'> | undefined = safeLocalStorage()): string {
  try {
    const stored = storage?.getItem(STORAGE_KEY);
    if (stored && VALID.test(stored)) return stored;
    const id = newUserId();
    storage?.setItem(STORAGE_KEY, id);
    if (storage) return id;
  } catch {
    // Storage blocked or full: fall through to an id for this page's lifetime.
  }
  memoryFallback ??= newUserId();
  return memoryFallback;
}

function safeLocalStorage(): Storage | undefined {
  try {
    return window.localStorage;
  } catch {
    return undefined;
  }
}
