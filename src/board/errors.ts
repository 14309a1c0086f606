// Errors the simulator and the board client (dialguard flash) report to the
// user as one message, without a stack trace: a bad scenario, a busy port, a
// firmware that does not build, a board that does not answer.

export class SimError extends Error {
    constructor(
        message: string,
        /** Extra lines printed after the message (compiler output, log tail). */
        readonly details: string[] = []
    ) {
        super(message)
    }
}
