import type { Logger } from '../../../shared/logger.ts';

/** What the CRM dispatcher (crm-dispatcher.ts) is given, and what it offers the outbox and the workers. */
export type DispatcherDeps<Job, Outcome> = {
  /**
   * Claims (leases) up to `limit` due deliveries with what sending them needs, `perEndpoint` at most in flight per
   * endpoint: this process's claimed deliveries per endpoint as `own` counts them (under way, or held for a slot;
   * those handed over have a share of their own), other processes' by their leases.
   */
  claim(limit: number, perEndpoint: number, own: ReadonlyMap<string, number>): Promise<Job[]>;
  /** Makes the attempt (network only). */
  attempt(job: Job): Promise<Outcome>;
  /** Writes the outcomes of a batch of attempts in one transaction, releasing their claims. */
  record(outcomes: Outcome[]): Promise<void>;
  /** the endpoint (account) a job delivers to */
  endpointOf(job: Job): string;
  /** the delivery a job is */
  idOf(job: Job): string;
  /**
   * Releases this process's claims on deliveries other than `keep` (the ones it holds): claims it made but never
   * heard of, because the database committed them and the answer was lost with the connection.
   */
  releaseOrphans(keep: readonly string[]): Promise<number>;
  /** attempts in flight in this process */
  concurrency: number;
  /** attempts in flight to one endpoint from this process (the claim query also counts other processes') */
  perEndpoint: number;
  /**
   * Claimed deliveries that had been waiting (`waited`: a backlog, retries) started per second at most; 0: as fast as
   * the machine goes (dispatcher-pacer.ts). New ones claimed are not paced.
   */
  backlogPerSecond: number;
  /** whether a claimed delivery had been waiting (was written a while before it was claimed) */
  waited(job: Job): boolean;
  /** how often an idle dispatcher looks anyway (see crm-dispatcher.ts: work is found by pokes, not by the poll) */
  pollIntervalMs: number;
  log: Logger;
};

/**
 * How deliveries written by this process reach its dispatcher without a claim query: while their transaction is
 * open the writer reserves slots (`reserve`) and writes the rows already claimed by this process; after the commit
 * it hands them over (`launch`), after a rollback it gives the slots back (`release`).
 */
export type DispatcherHandoff<Job> = {
  /** It is started and not stopped: it takes hand-overs (a process without one announces its work). */
  running(): boolean;
  /**
   * It also claims due deliveries, so a poke reaches it. One that only takes hand-overs (`serve --no-workers`) does
   * not: what it is not handed is announced to the worker processes.
   */
  claiming(): boolean;
  /**
   * How many of `want` new deliveries to `endpoint` this process takes (0 unless it is running; no more than it has
   * room for). They start once handed over, or wait in this process for a slot at the endpoint: with older
   * deliveries due, within the endpoint's fresh share of slots (dispatcher-shares.ts `freshShares`).
   */
  reserve(endpoint: string, want: number): number;
  release(endpoint: string, count: number): void;
  /** Starts reserved jobs (their rows are committed and claimed). */
  launch(jobs: readonly Job[]): void;
  /** Looks for due deliveries now instead of at the next poll (something was just recorded). */
  poke(): void;
};

export type CrmDispatcher<Job = unknown> = DispatcherHandoff<Job> & {
  /** Claims due deliveries and sends them, and takes hand-overs (`serve`, `worker`). */
  start(): void;
  /**
   * Takes hand-overs only (`serve --no-workers`): the new deliveries this process writes go from it to the CRM as in
   * `serve`, without an announcement and a worker's claim on the way; retries, backlogs and whatever it has no room
   * for are left to the workers' claims.
   */
  startHandingOver(): void;
  /** Looks for due deliveries at `at` (a retry this process wrote comes due then); the earliest such time is kept. */
  wakeAt(at: Date): void;
  /** Stops claiming and waits for the attempts under way. */
  stop(): Promise<void>;
  /** Claims and runs what is due now, once (tests and tools). Resolves when those attempts are recorded. */
  runOnce(): Promise<number>;
};
