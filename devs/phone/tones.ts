// Call-progress tones of the Chinese network (ITU-T E.180 Suppl. 2), as
// on/off cadences for a tone generator that only knows "beep for N ms".
// Portable: no @devicescript/* import.

import {
    TONE_BUSY,
    TONE_CALL_WARNING,
    TONE_DIAL,
    TONE_PROMPT,
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
export function cadenceOf(tone: number): ToneCadence | undefined {
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
        case TONE_PROMPT:
            // Issue 12, key an authorization code: China's special dial
            // tone (特种拨号音), 450 Hz 0.4 s on / 0.04 s off (ITU-T E.180
            // Suppl. 2, China), used by exchanges to say "dial, but a
            // service is active"; distinct from dial and unobtainable tones.
            return { hz: 450, pattern: [400, 40] }
        case TONE_CALL_WARNING:
            // Issue 12, the call has passed its length: the in-call beep of
            // the Chinese call-waiting tone, 450 Hz 0.4 s on / 4 s off (E.180
            // Suppl. 2, telephony-cn.md); the port stops it after one beep
            // (the final warning lets it repeat until the call ends).
            return { hz: 450, pattern: [400, 4000] }
    }
    return undefined
}
