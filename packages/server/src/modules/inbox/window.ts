import { HUMAN_AGENT_WINDOW_DAYS, WINDOW_HOURS, type WindowState } from '@threadline/contract';

const HOUR = 3_600_000;

export type WindowInfo = { state: WindowState['state']; closesAt: Date | null; humanAgentUntil: Date | null };

/**
 * Meta's messaging window: free-form replies for 24 hours after the customer's last message (or story reply,
 * story mention, postback, referral); after that, a person's reply tagged HUMAN_AGENT up to 7 days, when the
 * app has that feature; then nothing.
 */
export function messagingWindow(lastInboundAt: Date | null, now: Date, humanAgentEnabled: boolean): WindowInfo {
  if (!lastInboundAt) return { state: 'closed', closesAt: null, humanAgentUntil: null };
  const closesAt = new Date(lastInboundAt.getTime() + WINDOW_HOURS * HOUR);
  const humanAgentUntil = humanAgentEnabled ? new Date(lastInboundAt.getTime() + HUMAN_AGENT_WINDOW_DAYS * 24 * HOUR) : null;
  if (now < closesAt) return { state: 'open', closesAt, humanAgentUntil };
  if (humanAgentUntil && now < humanAgentUntil) return { state: 'human_agent', closesAt, humanAgentUntil };
  return { state: 'closed', closesAt, humanAgentUntil };
}

export type SendPermission = { ok: true; humanAgent: boolean } | { ok: false; closedAt: Date | null };

/**
 * Whether a message may be sent now, and with the HUMAN_AGENT tag. The tag is only for replies a person wrote:
 * from the inbox, or an API caller that declares `human_agent: true`; never for automated sends.
 */
export function sendPermission(window: WindowInfo, writtenByPerson: boolean): SendPermission {
  if (window.state === 'open') return { ok: true, humanAgent: false };
  if (window.state === 'human_agent' && writtenByPerson) return { ok: true, humanAgent: true };
  return { ok: false, closedAt: window.state === 'human_agent' ? window.closesAt : (window.humanAgentUntil ?? window.closesAt) };
}
