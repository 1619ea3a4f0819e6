/**
 * What a database error may say in a log line or a stored error column. Drizzle wraps a driver error in a
 * DrizzleQueryError whose message holds the statement *and its parameters* (a webhook's raw body, a message's text,
 * an OAuth state); PostgreSQL's own `detail` quotes key values, and some of its messages quote the input they
 * refused. None of that may reach a log. What does: the SQLSTATE code, the constraint, table and column names, the
 * prepared statement's name, and the server's message where its class never quotes data.
 */

/** SQLSTATE classes whose messages name objects, never values (class 22, data exception, quotes its input). */
const QUOTES_NO_DATA = new Set(['08', '23', '25', '40', '42', '53', '54', '55', '57', '58', 'XX', 'P0']);

/** Node socket error codes of a database connection that failed or went away. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'ECONNABORTED']);

/** Messages node-postgres and pg-pool give for a connection lost or never made (they carry no SQLSTATE). */
const CONNECTION_MESSAGES = [
  'Connection terminated',
  'connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Cannot use a pool after calling end on the pool',
  'the database system is starting up',
  'the database system is shutting down',
  'Query read timeout',
  'database stalled',
];

type Fields = {
  name?: unknown;
  message?: unknown;
  code?: unknown;
  constraint?: unknown;
  table?: unknown;
  column?: unknown;
  routine?: unknown;
  severity?: unknown;
  cause?: unknown;
  query?: unknown;
  params?: unknown;
};

const fieldsOf = (error: unknown): Fields => (typeof error === 'object' && error !== null ? (error as Fields) : {});
const text = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);

/**
 * The driver's error under Drizzle's wrapper (or the error itself): the first in the cause chain with a code of its
 * own. (PGlite's errors also carry `query` and `params`, so the wrapper is told apart by having no code.)
 */
function driverError(error: unknown): unknown {
  let current = error;
  for (let depth = 0; depth < 5; depth += 1) {
    const f = fieldsOf(current);
    if (text(f.code) || f.cause === undefined || f.cause === null) return current;
    current = f.cause;
  }
  return current;
}

/** A SQLSTATE (five characters), when the error is PostgreSQL's own. */
export function sqlState(error: unknown): string | undefined {
  const code = text(fieldsOf(driverError(error)).code);
  return code && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

/**
 * Whether the error means the database could not be reached or the connection was lost (a restart, a failover, a
 * killed backend, a pooler or a network dropping it), as opposed to a statement the database refused. The work is
 * not wrong: it is tried again once the database answers.
 */
export function isConnectionError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 6; depth += 1) {
    const f = fieldsOf(current);
    const code = text(f.code);
    if (code) {
      if (NETWORK_CODES.has(code)) return true;
      // 08: connection exception; 57P01-03: admin shutdown, crash shutdown, cannot connect now; 53300: too many connections
      if (/^08/.test(code) || /^57P0[1-3]$/.test(code) || code === '53300') return true;
    }
    const message = text(f.message);
    if (message && CONNECTION_MESSAGES.some((m) => message.includes(m))) return true;
    // AggregateError (a connect that tried IPv4 and IPv6)
    if (current instanceof AggregateError && current.errors.some((e) => isConnectionError(e))) return true;
    current = f.cause;
  }
  return false;
}

/** The name a fixed statement was prepared under, when Drizzle's wrapper says so (`fixedRows` / `preparedRows`). */
function statementOf(error: unknown): string | undefined {
  const query = text(fieldsOf(error).query);
  if (!query) return undefined;
  // the statement's first words say what it is; the rest is code, not data, but long
  return query.replace(/\s+/g, ' ').trim().slice(0, 80);
}

export type SafeDbError = {
  type: string;
  message: string;
  code?: string;
  constraint?: string;
  table?: string;
  column?: string;
  statement?: string;
};

/** The error as a log line may show it: never parameters, never a quoted value. */
export function describeDbError(error: unknown): SafeDbError {
  const inner = driverError(error);
  const f = fieldsOf(inner);
  const code = sqlState(error) ?? text(f.code);
  const type = text(f.name) ?? (inner instanceof Error ? inner.constructor.name : typeof inner);
  const raw = text(f.message) ?? String(inner);
  const state = sqlState(error);
  let message: string;
  if (state) {
    message = QUOTES_NO_DATA.has(state.slice(0, 2)) ? raw : `PostgreSQL error ${state} (its message is withheld: it may quote data)`;
  } else if (isConnectionError(inner)) {
    message = raw;
  } else {
    // not PostgreSQL's: a driver or Drizzle error (a mapping failure) says nothing about the values
    message = raw.split('\nparams:')[0]?.slice(0, 300) ?? raw;
  }
  const out: SafeDbError = { type, message };
  if (code) out.code = code;
  const constraint = text(f.constraint);
  if (constraint) out.constraint = constraint;
  const table = text(f.table);
  if (table) out.table = table;
  const column = text(f.column);
  if (column) out.column = column;
  const statement = statementOf(error);
  if (statement) out.statement = statement;
  return out;
}

/** Whether the error is (or wraps) a database error: Drizzle's wrapper or a driver error with a SQLSTATE. */
export function isDbError(error: unknown): boolean {
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 6; depth += 1) {
    const f = fieldsOf(current);
    if (f.name === 'DrizzleQueryError' || (typeof f.query === 'string' && 'params' in f)) return true;
    const code = text(f.code);
    if (code && /^[0-9A-Z]{5}$/.test(code)) return true;
    if (f.name === 'DatabaseError') return true;
    current = f.cause;
  }
  return false;
}

/** One line for a stored error column (an event's `last_error`, a job's output): safe as `describeDbError`. */
export function safeErrorMessage(error: unknown): string {
  if (isDbError(error) || isConnectionError(error)) {
    const d = describeDbError(error);
    return [d.code, d.message, d.constraint && `(constraint ${d.constraint})`].filter(Boolean).join(' ');
  }
  return error instanceof Error ? error.message : String(error);
}

/** A unique constraint refused the write (SQLSTATE 23505), however deep the driver wrapped it. */
export function isUniqueViolation(error: unknown): boolean {
  for (let e: unknown = error; e && typeof e === 'object'; e = (e as { cause?: unknown }).cause) {
    if ((e as { code?: unknown }).code === '23505') return true;
  }
  return false;
}
