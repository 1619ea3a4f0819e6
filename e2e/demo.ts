import { PASSWORD } from './flows.ts';
import { startWorld, type World } from './world.ts';

/**
 * `npm run demo`: Threadline and the Instagram simulator wired to each other, a demo user with two linked
 * Instagram accounts, and customers who write a realistic trickle of messages. Everything lives in memory and a
 * temporary data directory; Ctrl-C ends it.
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

/** "Continue with Instagram" without a browser: Threadline's authorize route, the consent page, the callback. */
async function link(world: World, sessionCookie: string, igId: string): Promise<void> {
  const start = await fetch(`${world.baseUrl}/oauth/instagram/authorize?redirect=/chat`, { headers: { cookie: sessionCookie }, redirect: 'manual' });
  const binding = (start.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const consent = await world.control.authorize(start.headers.get('location') ?? '', { accountId: igId, action: 'allow' });
  const callback = new URL(consent.location);
  const done = await fetch(`${world.baseUrl}${callback.pathname}${callback.search}`, { headers: { cookie: `${sessionCookie}; ${binding}` }, redirect: 'manual' });
  if (!String(done.headers.get('location')).includes('oauth=success')) throw new Error(`linking failed: ${done.headers.get('location')}`);
}

async function main() {
  const world = await startWorld({ port: PORT, simPort: SIM_PORT });
  const setup = await fetch(`${world.baseUrl}/api/v1/setup`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: USER, password: PASSWORD }) });
  if (!setup.ok) throw new Error(`setup failed: ${await setup.text()}`);
  const sessionCookie = (setup.headers.getSetCookie?.() ?? []).map((c) => c.split(';')[0]).join('; ');
  const owner = await world.control.createIgUser({ username: 'demo_owner' });
  const shop = await world.control.createAccount({ igUserId: owner.id, username: 'acme_shop', name: 'ACME Shop' });
  const outlet = await world.control.createAccount({ igUserId: owner.id, username: 'acme_outlet', name: 'ACME Outlet' });
  await world.control.setSession(owner.id);
  await link(world, sessionCookie, shop.igId);
  await link(world, sessionCookie, outlet.igId);
  const customers = await Promise.all(CUSTOMERS.map((c) => world.control.createCustomer(c)));

  console.log(`\nThreadline demo: open ${world.baseUrl} and sign in as "${USER}" / "${PASSWORD}".`);
  console.log(`Instagram simulator: ${world.simUrl} (accounts @acme_shop and @acme_outlet; customers write every few seconds).`);
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
