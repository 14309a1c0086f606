// The SIP Line contract's mapping of SIP final responses to the events the
// firmware sees (services/sipline.md, "SIP mapping"): what a native ESP32
// implementation must do too.

import { FAILURE } from "../exchange"

// (the values of the spec's FailureReason, as the simulated exchange sends them)
export { FAILURE }
export type FailureName = keyof typeof FAILURE

export const REGISTRATION = {
    Unregistered: 0,
    Registering: 1,
    Registered: 2,
    Failed: 3,
}
export type RegistrationName = keyof typeof REGISTRATION

/** The table of services/sipline.md; other codes by their class. */
const BY_CODE: Record<number, FailureName> = {
    486: "Busy",
    600: "Busy",
    408: "NoAnswer",
    480: "NoAnswer",
    487: "NoAnswer",
    404: "Unreachable",
    484: "Unreachable",
    604: "Unreachable",
    503: "Unreachable",
    403: "Rejected",
    603: "Rejected",
}

/**
 * The call_failed reason for a final response >= 400 to our INVITE (3xx
 * are followed, not failures). Codes outside the table: 4xx Rejected,
 * 5xx Unreachable, 6xx Rejected.
 */
export function failureFor(status: number): FailureName {
    const named = BY_CODE[status]
    if (named) return named
    if (status >= 500 && status < 600) return "Unreachable"
    return "Rejected"
}

/** 180 Ringing and 183 Session Progress: the far end rings (ringback). */
export function isRingback(status: number): boolean {
    return status === 180 || status === 183
}
