// Wall-clock months for the counters. DeviceScript has no Date: the time
// comes from the SIP line (its wall_clock register, from SIP/NTP) and is
// carried forward with the VM's millisecond clock. Before the first time
// fix, calls are counted under the month "unknown" (reported as such, and
// never silently merged into a dated month).
// Portable: no @devicescript/* import.

import { twoDigits as two, UNKNOWN_MONTH } from "../phone/counters"

/** China Standard Time, UTC+8, no daylight saving. */
const BEIJING_OFFSET_S = 8 * 3600

/**
 * Unix seconds as Beijing time "YYYY-MM-DD HH:MM:SS" (civil from days, H.
 * Hinnant's algorithm, no Date needed); "" for 0 (time unknown).
 */
export function beijingTime(unixSeconds: number): string {
    if (!(unixSeconds > 0)) return ""
    const t = Math.floor(unixSeconds) + BEIJING_OFFSET_S
    const days = Math.floor(t / 86400)
    const secs = t - days * 86400
    const z = days + 719468
    const era = Math.floor(z / 146097)
    const doe = z - era * 146097
    const yoe = Math.floor(
        (doe -
            Math.floor(doe / 1460) +
            Math.floor(doe / 36524) -
            Math.floor(doe / 146096)) /
            365
    )
    const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
    const mp = Math.floor((5 * doy + 2) / 153)
    const d = doy - Math.floor((153 * mp + 2) / 5) + 1
    const m = mp < 10 ? mp + 3 : mp - 9
    const y = yoe + era * 400 + (m <= 2 ? 1 : 0)
    const hh = Math.floor(secs / 3600)
    const mm = Math.floor((secs % 3600) / 60)
    return (
        y +
        "-" +
        two(m) +
        "-" +
        two(d) +
        " " +
        two(hh) +
        ":" +
        two(mm) +
        ":" +
        two(secs % 60)
    )
}

/** "YYYY-MM" in Beijing time of a Unix time in seconds; "unknown" for 0. */
export function monthOf(unixSeconds: number): string {
    return unixSeconds > 0
        ? beijingTime(unixSeconds).slice(0, 7)
        : UNKNOWN_MONTH
}

/** A Unix time learnt at some VM millisecond, carried forward. */
export class WallClock {
    private unixAt = 0
    private millisAt = 0
    /** Called once, when the time first becomes known. */
    onFirstFix?: () => void

    /** `unixSeconds` 0 means the source does not know the time yet. */
    set(unixSeconds: number, nowMs: number) {
        if (!(unixSeconds > 0)) return
        const first = !this.known()
        this.unixAt = unixSeconds
        this.millisAt = nowMs
        if (first && this.onFirstFix) this.onFirstFix()
    }

    known(): boolean {
        return this.unixAt > 0
    }

    /** Unix seconds at `nowMs`; 0 before the time is known, and for 0 ms (never). */
    unix(nowMs: number): number {
        if (!this.known() || !nowMs) return 0
        return this.unixAt + Math.floor((nowMs - this.millisAt) / 1000)
    }

    month(nowMs: number): string {
        return monthOf(this.unix(nowMs))
    }
}
