/** How password attempts are throttled (LOGIN_* settings); config.ts fills it, auth/login-throttle.ts applies it. */
export type LoginThrottleSettings = {
  /** failures for one username from one address (an IPv6 /64) before the progressive delay starts */
  maxFailuresPerUsername: number;
  maxFailuresPerIp: number;
  windowSeconds: number;
  lockoutBaseSeconds: number;
  lockoutMaxSeconds: number;
  /** failures for one username from every address together, then refused everywhere until a short window ends */
  usernameCeiling: number;
  usernameCeilingSeconds: number;
};
