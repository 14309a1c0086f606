// Debounced scanning of a row/column key matrix (no diodes assumed).
// Portable: no @devicescript/* import, so vitest runs this file in Node and
// the DeviceScript VM runs the same code on the device.
//
// Rules, in one place:
// - A key is emitted once when it has been the only closed contact, without
//   change, for at least debounceMs (measured between scans: from the first
//   scan that saw it to the current scan).
// - After an emission nothing is emitted until every key has been stably up
//   for debounceMs (no auto-repeat; a release bounce is not a new press).
// - Any scan that sees two or more closed contacts (two keys, or an L of
//   three keys that also closes a ghost contact) locks the scanner until all
//   keys are stably up: no digit rather than a wrong one. The lock is not
//   debounced on purpose, so a rolling press (B down before A is up) drops B.
// - At start-up the scanner is locked too: a key already down at power-up
//   (something resting on the pad) is not dialled; it must be released first.

/** Hardware access for one scan. Rows and columns are 0-based. */
export interface MatrixPins {
    /** Makes `row` the driven row (active) or releases it (inactive). */
    driveRow(row: number, active: boolean): void
    /** True when a key contact joins `col` to the currently active row. */
    readColumn(col: number): boolean
}

/**
 * Anything that delivers confirmed key presses: the GPIO driver
 * (gpioKeypad.ts) and a simulator. Kept here so portable code can use it.
 */
export interface KeySource {
    /**
     * Registers a handler called once per confirmed press, in press order.
     * It may be async: the next key waits for it.
     */
    onKey(handler: KeyHandler): void
}

/** Spelled out: DeviceScript rejects an async function where `=> void` is expected. */
export type KeyHandler = (key: string) => void | Promise<void>

export interface MatrixScannerOptions {
    /** Stable time in ms before a press or a release counts. Default 20; values below 20 are raised to 20. */
    debounceMs?: number
    /** One string per row, one character per column; default ["123","456","789","*0#"]. */
    layout?: string[]
}

export const DEFAULT_LAYOUT = ["123", "456", "789", "*0#"]
export const MIN_DEBOUNCE_MS = 20

// Raw scan results besides a key index (row * cols + col).
const RAW_NONE = -1
const RAW_MULTI = -2
const RAW_UNKNOWN = -3

export class MatrixScanner {
    readonly rows: number
    readonly cols: number
    readonly debounceMs: number
    private pins: MatrixPins
    /** Key characters by index, built once so scan() returns without allocating. */
    private keys: string[] = []
    /** Latest raw scan result and the time it was first seen unchanged. */
    private candidate = RAW_UNKNOWN
    private since = 0
    /** Waiting for all keys stably up (after an emission, a multi-key state, or at start). */
    private waitRelease = true

    constructor(pins: MatrixPins, opts?: MatrixScannerOptions) {
        const layout = (opts && opts.layout) || DEFAULT_LAYOUT
        const d = opts ? opts.debounceMs : undefined
        // raised, not rejected: a shorter debounce is never what the pad needs
        this.debounceMs =
            typeof d === "number" && d >= MIN_DEBOUNCE_MS ? d : MIN_DEBOUNCE_MS
        if (layout.length < 1) throw new RangeError("keypad layout: no rows")
        const cols = layout[0].length
        if (cols < 1) throw new RangeError("keypad layout: no columns")
        for (let r = 0; r < layout.length; ++r) {
            if (layout[r].length !== cols)
                throw new RangeError("keypad layout: rows differ in length")
            for (let c = 0; c < cols; ++c) this.keys.push(layout[r].charAt(c))
        }
        this.rows = layout.length
        this.cols = cols
        this.pins = pins
    }

    /** Key character at (row, col), for drivers and tests. */
    keyAt(row: number, col: number): string {
        return this.keys[row * this.cols + col]
    }

    /**
     * Scans every row once; returns the key character when a press is
     * confirmed by this scan, else undefined. Call every few ms with a
     * monotonic clock.
     */
    scan(nowMs: number): string | undefined {
        const raw = this.readMatrix()
        if (raw !== this.candidate) {
            this.candidate = raw
            this.since = nowMs
        }
        if (raw === RAW_MULTI) {
            this.waitRelease = true
            return undefined
        }
        const stable = nowMs - this.since >= this.debounceMs
        if (!stable) return undefined
        if (this.waitRelease) {
            if (raw === RAW_NONE) this.waitRelease = false
            return undefined
        }
        if (raw >= 0) {
            this.waitRelease = true
            return this.keys[raw]
        }
        return undefined
    }

    /** One pass over the matrix: a key index, RAW_NONE or RAW_MULTI. */
    private readMatrix(): number {
        const pins = this.pins
        const cols = this.cols
        let found = RAW_NONE
        let count = 0
        for (let r = 0; r < this.rows; ++r) {
            pins.driveRow(r, true)
            for (let c = 0; c < cols; ++c) {
                if (pins.readColumn(c)) {
                    count++
                    found = r * cols + c
                }
            }
            pins.driveRow(r, false)
        }
        if (count > 1) return RAW_MULTI
        return found
    }
}
