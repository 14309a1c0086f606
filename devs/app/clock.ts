// Wall-clock months for the counters. DeviceScript has no Date: the time
// comes from the SIP line (its wall_clock register, from SIP/NTP) and is
// carried forward with the VM's millisecond clock. Before the first time
// fix, calls are counted under the month "unknown" (reported as such, and
// never silently merged into a dated month).
// Portable: no @devicescript/* import.

import { UNKNOWN_MONTH } from "../phone/counters"

/** China Standard Time, UTC+8, no daylight saving. */
const BEIJING_OFFSET_S = 8 * 3600

function twoDigits(n: number): string {
    return (n < 10 ? "0" : "") + n
}

/** "YYYY-MM" in Beijing time of a Unix time in seconds. */
export function monthOf(unixSeconds: number): string {
    const days = Math.floor((unixSeconds + BEIJING_OFFSET_S) / 86400)
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
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
    const month = mp < 10 ? mp + 3 : mp - 9
    const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    return year + "-" + twoDigits(month)
}

/** A Unix time learnt at some VM millisecond, carried forward. */
export class WallClock {
    private unixAt = 0
    private millisAt = 0

    /** `unixSeconds` 0 means the source does not know the time yet. */
    set(unixSeconds: number, nowMs: number) {
        if (!(unixSeconds > 0)) return
        this.unixAt = unixSeconds
        this.millisAt = nowMs
    }

    known(): boolean {
        return this.unixAt > 0
    }

    /** Unix seconds now, or 0 if never set. */
    unix(nowMs: number): number {
        if (!this.known()) return 0
        return this.unixAt + Math.floor((nowMs - this.millisAt) / 1000)
    }

    month(nowMs: number): string {
        return this.known() ? monthOf(this.unix(nowMs)) : UNKNOWN_MONTH
    }
}
