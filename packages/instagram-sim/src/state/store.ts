import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { stateDataSchema } from './schema.ts';
import type { SimAccount, SimApp, SimConversation, SimCustomer, SimMessage, SimToken, StateData } from './schema.ts';

/** The simulator's state: plain data, in memory, optionally mirrored to a JSON file. */
export interface SimState {
  data: StateData;
  reset(): void;
  /** Writes the state file now (no-op without one). */
  save(): void;
  /** Writes the state file soon, once for a burst of changes. */
  saveSoon(): void;
  app(id: string): SimApp | undefined;
  account(igId: string): SimAccount | undefined;
  customer(igsid: string): SimCustomer | undefined;
  token(value: string): SimToken | undefined;
  conversation(id: string): SimConversation | undefined;
  conversationOf(accountId: string, customerId: string): SimConversation | undefined;
  message(mid: string): SimMessage | undefined;
  messagesOf(conversationId: string): SimMessage[];
}

export function emptyStateData(): StateData {
  return stateDataSchema.parse({});
}

export function loadStateFile(path: string): StateData {
  if (!existsSync(path)) return emptyStateData();
  const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
  return stateDataSchema.parse(raw);
}

export function createState(options: { stateFile?: string | undefined; initial?: StateData } = {}): SimState {
  const file = options.stateFile;
  let timer: NodeJS.Timeout | null = null;
  const state: SimState = {
    data: options.initial ?? (file ? loadStateFile(file) : emptyStateData()),
    reset() {
      state.data = emptyStateData();
      state.saveSoon();
    },
    save() {
      if (timer) clearTimeout(timer);
      timer = null;
      if (!file) return;
      const tmp = `${file}.tmp`;
      writeFileSync(tmp, JSON.stringify(state.data, null, 2));
      renameSync(tmp, file);
    },
    saveSoon() {
      if (!file || timer) return;
      timer = setTimeout(() => state.save(), 200);
      timer.unref();
    },
    app: (id) => state.data.apps.find((a) => a.id === id),
    account: (igId) => state.data.accounts.find((a) => a.igId === igId),
    customer: (igsid) => state.data.customers.find((c) => c.igsid === igsid),
    token: (value) => state.data.tokens.find((t) => t.token === value),
    conversation: (id) => state.data.conversations.find((c) => c.id === id),
    conversationOf: (accountId, customerId) =>
      state.data.conversations.find((c) => c.accountId === accountId && c.customerId === customerId),
    message: (mid) => state.data.messages.find((m) => m.mid === mid),
    messagesOf: (conversationId) =>
      state.data.messages
        .filter((m) => m.conversationId === conversationId)
        .reverse()
        .sort((a, b) => b.createdAt - a.createdAt),
  };
  return state;
}
