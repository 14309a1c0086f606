// Reconnect delays: exponential from 1 s, capped at 60 s, with jitter so
// that the boards of a site do not all knock at once after a broker
// restart. Portable: no @devicescript/* import.

export const BACKOFF_FIRST_MS = 1000
export const BACKOFF_CAP_MS = 60000

/**
 * Delay before reconnect attempt `attempt` (0 = the first after a loss):
 * nominal 1 s, 2 s, 4 s, ... 60 s; the delay is drawn from the upper half
 * of the nominal ("equal jitter"): [nominal / 2, nominal]. `random` in [0, 1).
 */
export function backoffMs(attempt: number, random: number): number {
    let nominal = BACKOFF_FIRST_MS
    for (let i = 0; i < attempt && nominal < BACKOFF_CAP_MS; ++i) nominal *= 2
    if (nominal > BACKOFF_CAP_MS) nominal = BACKOFF_CAP_MS
    return Math.floor(nominal / 2 + (random * nominal) / 2)
}
