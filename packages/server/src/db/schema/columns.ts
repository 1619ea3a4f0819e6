import { timestamp } from 'drizzle-orm/pg-core';

/** A `timestamptz not null default now()` column: creation and update times of every table. */
export const timestampNow = () => timestamp({ withTimezone: true }).notNull().defaultNow();
