/**
 * The optional API bearer token: kept in localStorage, sent as a header by fetch/XHR and as
 * `?token=` on URLs that cannot carry headers (EventSource, download links). A 401 from any call
 * raises `promptVisible` so the app asks for a token.
 */

export type StorageLike = Pick<Storage, 'getItem' | 'setItem' | 'removeItem'>;

const TOKEN_KEY = 'dcs.apiToken';

interface AuthSnapshot {
  token: string | null;
  /** A call was refused with 401 (or the server requires a token we do not have). */
  promptVisible: boolean;
  /** Bumps whenever the token changes, so views can refetch. */
  revision: number;
}

export class AuthStore {
  private snapshot: AuthSnapshot;
  private readonly listeners = new Set<() => void>();

  constructor(private readonly storage: StorageLike | null) {
    this.snapshot = { token: readToken(storage), promptVisible: false, revision: 0 };
  }

  get token(): string | null {
    return this.snapshot.token;
  }

  getSnapshot = (): AuthSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  setToken(token: string | null): void {
    const cleaned = token?.trim() || null;
    try {
      if (cleaned) this.storage?.setItem(TOKEN_KEY, cleaned);
      else this.storage?.removeItem(TOKEN_KEY);
    } catch {
      // Storage can be disabled (private mode); the token still works for this page's life.
    }
    this.update({ token: cleaned, promptVisible: false, revision: this.snapshot.revision + 1 });
  }

  /** Called by the API client on 401. */
  requestToken(): void {
    if (!this.snapshot.promptVisible) this.update({ ...this.snapshot, promptVisible: true });
  }

  dismissPrompt(): void {
    if (this.snapshot.promptVisible) this.update({ ...this.snapshot, promptVisible: false });
  }

  /** `Authorization` header for fetch/XHR, empty when no token is set. */
  headers(): Record<string, string> {
    return this.snapshot.token ? { Authorization: `Bearer ${this.snapshot.token}` } : {};
  }

  /** Adds `token=` to a same-origin URL for EventSource and download links. */
  withToken(url: string): string {
    if (!this.snapshot.token) return url;
    const separator = url.includes('?') ? '&' : '?';
    return `${url}${separator}token=${encodeURIComponent(this.snapshot.token)}`;
  }

  private update(next: AuthSnapshot): void {
    this.snapshot = next;
    for (const listener of this.listeners) listener();
  }
}

function readToken(storage: StorageLike | null): string | null {
  try {
    return storage?.getItem(TOKEN_KEY) || null;
  } catch {
    return null;
  }
}
