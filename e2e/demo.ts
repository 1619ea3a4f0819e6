import { PASSWORD } from './flows.ts';
import { startWorld, type World } from './world.ts';

/**
 * `npm run demo`: Threadline and the Meta simulator wired to each other, a demo user with two linked Instagram
 * accounts (one through Instagram Login, one through its Facebook Page), and customers who write a realistic trickle
 * of messages. Everything lives in memory and a temporary data directory; Ctrl-C ends it.
 */
const PORT = Number(process.env.PORT ?? 8000);
const SIM_PORT = Number(process.env.SIM_PORT ?? 8010);
const USER = 'demo';

const CUSTOMERS = [
  { username: 'jane.doe', name: 'Jane Doe' },
  { username: 'marco_rossi', name: 'Marco Rossi' },
  { username: 'aiko.tanaka', name: 'Aiko Tanaka' },
  { username: 'lea_martin', name: 'Léa Martin' },
  { username: 'sam.okafor', name: 'Sam Okafor' },
];
const LINES = [
  'Hi! Is the red one still in stock?',
  'Do you ship to Lyon?',
  'What are your opening hours on Sunday?',
  'Can I change the size of my order #4821?',
  'Love the new collection 😍',
  'Is there a discount for students?',
  'My parcel has not arrived yet, can you check?',
  'Do you have this in M?',
  'Thanks, that was quick!',
  'Can I pick it up in the shop tomorrow?',
];
const pick = <T>(xs: readonly T[]): T | undefined => xs[Math.floor(Math.random() * xs.length)];

/**
 * "Continue with Instagram" (or "Continue with Facebook", for a person with one Page) without a browser: Threadline's
 * authorize route, the simulator's dialog, the callback.
 */
async function link(world: World, sessionCookie: string, via: { instagram: string } | { facebook: true }): Promise<void> {
  const provider = 'instagram' in via ? 'instagram' : 'facebook';
  const start = await fetch(`${world.baseUrl}/oauth/${provider}/authorize?redirect=/chat`, { headers: { cookie: sessionCookie }, redirect: 'manual' });
  const binding = (start.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const dialog = start.headers.get('location') ?? '';
  const consent = 'instagram' in via
    ? await world.control.authorize(dialog, { accountId: via.instagram, action: 'allow' })
    : await world.control.facebook.dialog(dialog);
  const callback = new URL(consent.location);
  const done = await fetch(`${world.baseUrl}${callback.pathname}${callback.search}`, { headers: { cookie: `${sessionCookie}; ${binding}` }, redirect: 'manual' });
  if (!String(done.headers.get('location')).includes('oauth=success')) throw new Error(`linking failed: ${done.headers.get('location')}`);
}

/** Points every account of the demo user at the world's CRM receiver; answers its URL. */
async function wireCrm(world: World, sessionCookie: string): Promise<string> {
  // cookie-authenticated changes must come from Threadline's own origin
  const headers = { cookie: sessionCookie, origin: world.baseUrl, 'content-type': 'application/json' };
  const mine = await fetch(`${world.baseUrl}/api/v1/accounts/me`, { headers });
  const { accounts } = (await mine.json()) as { accounts: { id: string }[] };
  const url = `${world.outsideUrl}/crm/demo`;
  for (const account of accounts) {
    const res = await fetch(`${world.baseUrl}/api/v1/accounts/${account.id}`, { method: 'PATCH', headers, body: JSON.stringify({ crm_webhook_url: url }) });
    if (!res.ok) throw new Error(`wiring the CRM receiver failed: ${res.status} ${await res.text()}`);
  }
  // the receiver keeps what it got for the tests; a long demo keeps only the latest
  setInterval(() => world.crmHits.splice(0, Math.max(0, world.crmHits.length - 100)), 60_000).unref();
  return url;
}

async function main() {
  // The world's loopback "outside" includes a small CRM receiver (POST /crm/…, answering 200): the demo's accounts
  // forward to it, so the delivery log in account settings fills as customers write.
  const world = await startWorld({ port: PORT, simPort: SIM_PORT, env: { CRM_ALLOWED_NETWORKS: '127.0.0.1/32' } });
  const setup = await fetch(`${world.baseUrl}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: USER, password: PASSWORD }) });
  if (!setup.ok) throw new Error(`setup failed: ${await setup.text()}`);
  const sessionCookie = (setup.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const owner = await world.control.createIgUser({ username: 'demo_owner' });
  const shop = await world.control.createAccount({ igUserId: owner.id, username: 'acme_shop', name: 'ACME Shop' });
  const outlet = await world.control.createAccount({ igUserId: owner.id, username: 'acme_outlet', name: 'ACME Outlet' });
  await world.control.setSession(owner.id);
  await link(world, sessionCookie, { instagram: shop.igId });
  // The outlet is managed through its Facebook Page: it answers through graph.facebook.com with a Page token.
  const pageOwner = await world.control.facebook.createUser({ name: 'ACME Social Team' });
  await world.control.facebook.createPage({ name: 'ACME Outlet', managers: [pageOwner.id], igAccountId: outlet.igId });
  await world.control.facebook.setSession(pageOwner.id);
  await link(world, sessionCookie, { facebook: true });
  const customers = await Promise.all(CUSTOMERS.map((c) => world.control.createCustomer(c)));
  const crmUrl = await wireCrm(world, sessionCookie);

  console.log(`\nThreadline demo: open ${world.baseUrl} and sign in as "${USER}" / "${PASSWORD}".`);
  console.log(
    `Meta simulator: ${world.simUrl} (@acme_shop through Instagram Login, @acme_outlet through the Facebook Page "ACME Outlet"; customers write every few seconds).`,
  );
  console.log(`CRM receiver: ${crmUrl} (every account forwards to it; see the delivery log in account settings).`);
  console.log('Ctrl-C stops everything.\n');

  let stopped = false;
  const trickle = async () => {
    while (!stopped) {
      const to = Math.random() < 0.7 ? shop.igId : outlet.igId;
      const customer = pick(customers);
      if (customer) await world.control.sendText(customer.igsid, to, pick(LINES) ?? 'Hello!').catch(() => undefined);
      await new Promise((r) => setTimeout(r, 4000 + Math.random() * 6000));
    }
  };
  void trickle();
  const stop = async () => {
    stopped = true;
    await world.close();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
