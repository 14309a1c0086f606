// Call-progress tones of the Chinese network (ITU-T E.180 Suppl. 2), as
// on/off cadences for a tone generator that only knows "beep for N ms".
// Portable: no @devicescript/* import.

import { cut } from "../text/cut"

export interface ToneCadence {
    hz: number
    /** Alternating on, off durations in ms, repeated; [n] alone = continuous. */
    pattern: number[]
}

/** Cadence of a tone, or undefined for silence. */
/**
 * Each tone's cadence, by its number (the Handset service's Tone enum):
 * "hz on off on off ..." in ms. A table, not a switch of literals: the VM
 * limits the image's function bytecode to 64 KB.
 */
const CADENCES = [
    "", // off
    "450 1000", // dial tone: continuous
    "450 1000 4000", // ringback
    "450 350 350", // busy
    // unobtainable (空号音): three short beeps, then a long one
    "450 100 100 100 100 100 100 400 400",
    "450 700 700", // congestion
    "950 1000", // warning
    // Issue 12, key an authorization code: China's special dial tone
    // (特种拨号音), 450 Hz 0.4 s on / 0.04 s off (ITU-T E.180 Suppl. 2,
    // China), "dial, but a service is active"; distinct from dial and
    // unobtainable tones.
    "450 400 40",
    // Issue 12, the call has passed its length: the in-call beep of the
    // Chinese call-waiting tone, 450 Hz 0.4 s on / 4 s off (E.180 Suppl.
    // 2, telephony-cn.md); the port stops it after one beep (the final
    // warning lets it repeat until the call ends).
    "450 400 4000",
]

export function cadenceOf(tone: number): ToneCadence | undefined {
    const t = CADENCES[tone]
    if (!t) return undefined
    const n = cut(t, " ")
    const pattern: number[] = []
    for (let i = 1; i < n.length; ++i) pattern.push(parseInt(n[i]))
    return { hz: parseInt(n[0]), pattern }
}
