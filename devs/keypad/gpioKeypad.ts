// Keypad driver: the portable MatrixScanner over @devicescript/gpio pins,
// scanned every few ms by its own fiber. Key presses go through a queue to
// a second fiber that calls the handlers in order, so a slow handler neither
// stalls scanning nor loses digits (ds.emitter() would coalesce them: it
// keeps only the latest value while a handler is busy).

import * as ds from "@devicescript/core"
import "@devicescript/gpio" // adds setMode / value / write to the pin types
import {
    KeyHandler,
    KeySource,
    MatrixPins,
    MatrixScanner,
    MatrixScannerOptions,
} from "./matrixScanner"

export type { KeyHandler, KeySource } from "./matrixScanner"

export interface GpioKeypadOptions extends MatrixScannerOptions {
    /**
     * Default true: the active row is driven low and columns have pull-ups
     * (a closed contact reads 0). False: row driven high, columns pulled down.
     */
    activeLow?: boolean
    /**
     * Inactive rows float (input, high impedance) instead of being driven to
     * the inactive level. Avoids an output-high/output-low short through two
     * keys in one column; the column pulls keep the read defined. Default false.
     */
    floatInactiveRows?: boolean
    /** Time between scans in ms; default 5. */
    scanIntervalMs?: number
}

export class GpioKeypad implements KeySource, MatrixPins {
    readonly scanner: MatrixScanner
    private rowPins: ds.OutputPin[]
    private colPins: ds.InputPin[]
    private activeMode: ds.GPIOMode
    private idleMode: ds.GPIOMode
    /** Column value that means "contact closed". */
    private closedValue: number
    private intervalMs: number
    /** Bumped by start/stop so an old scan loop notices and exits. */
    private generation = 0
    /** Internal (used by the dispatch fiber). */
    _handlers: KeyHandler[] = []
    _pending: string[] = []
    _dispatching = false

    constructor(
        rows: ds.OutputPin[],
        cols: ds.InputPin[],
        opts?: GpioKeypadOptions
    ) {
        this.scanner = new MatrixScanner(this, opts)
        if (rows.length !== this.scanner.rows)
            throw new RangeError("keypad: row pin count != layout rows")
        if (cols.length !== this.scanner.cols)
            throw new RangeError("keypad: column pin count != layout columns")
        const activeLow = !opts || opts.activeLow !== false
        const floatIdle = !!(opts && opts.floatInactiveRows)
        this.rowPins = rows
        this.colPins = cols
        this.activeMode = activeLow
            ? ds.GPIOMode.OutputLow
            : ds.GPIOMode.OutputHigh
        this.idleMode = floatIdle
            ? ds.GPIOMode.Input
            : activeLow
              ? ds.GPIOMode.OutputHigh
              : ds.GPIOMode.OutputLow
        this.closedValue = activeLow ? 0 : 1
        const interval = opts ? opts.scanIntervalMs : undefined
        this.intervalMs =
            typeof interval === "number" && interval >= 1 ? interval : 5
        const colMode = activeLow
            ? ds.GPIOMode.InputPullUp
            : ds.GPIOMode.InputPullDown
        for (const p of cols) p.setMode(colMode)
        for (const p of rows) p.setMode(this.idleMode)
        this.start()
    }

    /** MatrixPins: setMode sets direction and level in one call. */
    driveRow(row: number, active: boolean): void {
        this.rowPins[row].setMode(active ? this.activeMode : this.idleMode)
    }

    /** MatrixPins */
    readColumn(col: number): boolean {
        return this.colPins[col].value === this.closedValue
    }

    /** KeySource: handlers run one at a time, in press order. */
    onKey(handler: KeyHandler): void {
        this._handlers.push(handler)
    }

    /** Starts (or restarts) scanning; the constructor already calls it. */
    start() {
        this.generation++
        scanLoop.start(this, this.generation)
    }

    /** Stops scanning (queued keys are still delivered). */
    stop() {
        this.generation++
    }

    /** Internal: true while the loop started as `gen` should keep going. */
    _current(gen: number) {
        return gen === this.generation
    }

    /** Internal: one scan, queueing a confirmed key. */
    _tick() {
        const key = this.scanner.scan(ds.millis())
        if (key === undefined) return
        this._pending.push(key)
        if (!this._dispatching) {
            this._dispatching = true
            dispatchKeys.start(this)
        }
    }

    /** Internal */
    _interval() {
        return this.intervalMs
    }
}

// Module functions rather than methods: Function.start() runs them in a
// new fiber with the keypad passed as an argument.
async function scanLoop(kp: GpioKeypad, gen: number) {
    while (kp._current(gen)) {
        kp._tick()
        await ds.sleep(kp._interval())
    }
}

async function dispatchKeys(kp: GpioKeypad) {
    try {
        while (kp._pending.length > 0) {
            const key = kp._pending.shift()
            for (const h of kp._handlers) {
                try {
                    await h(key)
                } catch (e) {
                    // a faulty handler must not stop the keypad
                    const err = e as Error
                    console.log("keypad handler error: " + (err?.message ?? e))
                }
            }
        }
    } finally {
        kp._dispatching = false
    }
}
