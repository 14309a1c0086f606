// Call-progress tones of the Chinese network (ITU-T E.180 Suppl. 2), as
// on/off cadences for a tone generator that only knows "beep for N ms".
// Portable: no @devicescript/* import.

import {
    TONE_BUSY,
    TONE_DIAL,
    TONE_RINGBACK,
    TONE_UNOBTAINABLE,
    TONE_WARNING,
} from "./handsetPort"

export interface ToneCadence {
    hz: number
    /** Alternating on, off durations in ms, repeated; [n] alone = continuous. */
    pattern: number[]
}

/** Cadence of a tone, or undefined for silence. */
export function cadenceOf(tone: number): ToneCadence {
    switch (tone) {
        case TONE_DIAL:
            return { hz: 450, pattern: [1000] }
        case TONE_RINGBACK:
            return { hz: 450, pattern: [1000, 4000] }
        case TONE_BUSY:
            return { hz: 450, pattern: [350, 350] }
        case TONE_UNOBTAINABLE:
            // 空号音: three short beeps, then a long one.
            return {
                hz: 450,
                pattern: [100, 100, 100, 100, 100, 100, 400, 400],
            }
        case 5: // congestion
            return { hz: 450, pattern: [700, 700] }
        case TONE_WARNING:
            return { hz: 950, pattern: [1000] }
    }
    return undefined
}
