import type { World } from './world.ts';

/** Seeding through Threadline's own HTTP API, as a script or a CRM would (bearer token, no browser). */
export class Api {
  readonly world: Pick<World, 'baseUrl'>;
  token: string | null = null;
  constructor(world: Pick<World, 'baseUrl'>) {
    this.world = world;
  }

  async call<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    const res = await fetch(`${this.world.baseUrl}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : null) as T;
  }

  async setupOwner(username: string, password: string): Promise<void> {
    const r = await this.call<{ token: string }>('POST', '/api/v1/setup', { username, password });
    this.token = r.token;
  }

  async login(username: string, password: string): Promise<void> {
    const r = await this.call<{ token: string }>('POST', '/api/v1/ui/session', { username, password });
    this.token = r.token;
  }

  accounts() {
    return this.call<{ accounts: { id: string; ig_user_id: string; username: string; status: string; role: string }[] }>('GET', '/api/v1/accounts/me');
  }
}
