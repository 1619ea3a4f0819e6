import type { Logger } from '../../../shared/logger.ts';

/** What the CRM dispatcher (crm-dispatcher.ts) is given, and what it offers the outbox and the workers. */
export type DispatcherDeps<Job, Outcome> = {
  /** Claims (leases) up to `limit` due deliveries with what sending them needs. */
  claim(limit: number): Promise<Job[]>;
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
  pollIntervalMs: number;
  log: Logger;
};

/**
 * How deliveries written by this process reach its dispatcher without a claim query: while their transaction is
 * open the writer reserves slots (`reserve`) and writes the rows already claimed by this process; after the commit
 * it hands them over (`launch`), after a rollback it gives the slots back (`release`).
 */
export type DispatcherHandoff<Job> = {
  /** How many of `want` new deliveries to `endpoint` this process takes now: 0 unless it is running, has no due
   * backlog (the oldest due deliveries go first) and has free slots, overall and for the endpoint. */
  reserve(endpoint: string, want: number): number;
  release(endpoint: string, count: number): void;
  /** Starts reserved jobs (their rows are committed and claimed). */
  launch(jobs: readonly Job[]): void;
  /** Looks for due deliveries now instead of at the next poll (something was just recorded). */
  poke(): void;
};

export type CrmDispatcher<Job = unknown> = DispatcherHandoff<Job> & {
  start(): void;
  /** Stops claiming and waits for the attempts under way. */
  stop(): Promise<void>;
  /** Claims and runs what is due now, once (tests and tools). Resolves when those attempts are recorded. */
  runOnce(): Promise<number>;
};
