// Host tests of the portable keypad scanner against a fake matrix that
// behaves like a real one without diodes: a column reads closed when any
// chain of pressed keys connects it to the active row, so three keys in an
// L shape also close the fourth corner (the ghost).

import { describe, expect, test } from "vitest"
import {
    DEFAULT_LAYOUT,
    MatrixPins,
    MatrixScanner,
} from "../devs/keypad/matrixScanner"

interface KeyEvent {
    t: number
    key: string
    down: boolean
}

class FakeMatrix implements MatrixPins {
    readonly rows: number
    readonly cols: number
    /** Keys currently down. */
    down = new Set<string>()
    activeRow = -1
    drives = 0
    reads = 0
    /** Protocol errors seen (two rows active, a read with no row active...). */
    violations: string[] = []
    private events: KeyEvent[] = []

    constructor(readonly layout: string[] = DEFAULT_LAYOUT) {
        this.rows = layout.length
        this.cols = layout[0].length
    }

    position(key: string): [number, number] {
        for (let r = 0; r < this.rows; r++) {
            const c = this.layout[r].indexOf(key)
            if (c >= 0) return [r, c]
        }
        throw new Error("no key " + key)
    }

    press(key: string, t: number) {
        this.events.push({ t, key, down: true })
        return this
    }

    release(key: string, t: number) {
        this.events.push({ t, key, down: false })
        return this
    }

    /** Contact flicker: starts down at t0, toggles after each gap in `gaps`. */
    bounce(key: string, t0: number, gaps: number[], startDown = true) {
        let t = t0
        let down = startDown
        this.events.push({ t, key, down })
        for (const g of gaps) {
            t += g
            down = !down
            this.events.push({ t, key, down })
        }
        return this
    }

    /** Applies every scripted event up to and including time t. */
    setTime(t: number) {
        this.events.sort((a, b) => a.t - b.t)
        while (this.events.length > 0 && this.events[0].t <= t) {
            const e = this.events.shift()!
            if (e.down) this.down.add(e.key)
            else this.down.delete(e.key)
        }
    }

    driveRow(row: number, active: boolean): void {
        this.drives++
        if (row < 0 || row >= this.rows) this.violations.push("row " + row)
        if (active) {
            if (this.activeRow !== -1)
                this.violations.push(
                    "two rows active: " + this.activeRow + "," + row
                )
            this.activeRow = row
        } else {
            if (this.activeRow !== row)
                this.violations.push("released row " + row + " not active")
            this.activeRow = -1
        }
    }

    readColumn(col: number): boolean {
        this.reads++
        if (this.activeRow < 0) {
            this.violations.push("read with no active row")
            return false
        }
        return this.connected(this.activeRow, col)
    }

    /** Row and column as graph nodes (rows 0..R-1, columns R..R+C-1), keys as edges. */
    private connected(row: number, col: number): boolean {
        const target = this.rows + col
        const seen = new Set<number>([row])
        const todo = [row]
        while (todo.length > 0) {
            const n = todo.pop()!
            if (n === target) return true
            for (const k of this.down) {
                const [r, c] = this.position(k)
                const a = r
                const b = this.rows + c
                const other = n === a ? b : n === b ? a : -1
                if (other >= 0 && !seen.has(other)) {
                    seen.add(other)
                    todo.push(other)
                }
            }
        }
        return false
    }
}

interface Emitted {
    t: number
    key: string
}

/** Scans every `step` ms from `from` to `to` inclusive; returns the keys emitted. */
function run(
    sc: MatrixScanner,
    fm: FakeMatrix,
    from: number,
    to: number,
    step = 1
): Emitted[] {
    const out: Emitted[] = []
    for (let t = from; t <= to; t += step) {
        fm.setTime(t)
        const key = sc.scan(t)
        if (key !== undefined) out.push({ t, key })
    }
    return out
}

function keysOf(e: Emitted[]) {
    return e.map(x => x.key).join("")
}

function setup(opts?: { debounceMs?: number; layout?: string[] }) {
    const fm = new FakeMatrix(opts?.layout)
    const sc = new MatrixScanner(fm, opts)
    return { fm, sc }
}

describe("fake matrix (the model the scanner is tested against)", () => {
    test("a single key closes exactly its own contact", () => {
        const fm = new FakeMatrix()
        fm.press("6", 0).setTime(0)
        const closed: string[] = []
        for (let r = 0; r < 4; r++) {
            fm.driveRow(r, true)
            for (let c = 0; c < 3; c++)
                if (fm.readColumn(c)) closed.push(DEFAULT_LAYOUT[r][c])
            fm.driveRow(r, false)
        }
        expect(closed).toEqual(["6"])
    })

    test("three keys in an L also close the fourth corner (ghost)", () => {
        const fm = new FakeMatrix()
        fm.press("1", 0).press("2", 0).press("4", 0).setTime(0)
        fm.driveRow(1, true)
        // row 1 = "456": "4" is pressed, "5" is the ghost, "6" is open
        expect([fm.readColumn(0), fm.readColumn(1), fm.readColumn(2)]).toEqual([
            true,
            true,
            false,
        ])
        fm.driveRow(1, false)
        expect(fm.violations).toEqual([])
    })
})

describe("MatrixScanner", () => {
    test("single press emits exactly once, 20 ms after it is first seen, not before", () => {
        const { fm, sc } = setup()
        fm.press("5", 100).release("5", 250)
        expect(run(sc, fm, 0, 119)).toEqual([])
        expect(run(sc, fm, 120, 120)).toEqual([{ t: 120, key: "5" }])
        expect(run(sc, fm, 121, 600)).toEqual([])
    })

    test("with a 5 ms scan period the press is confirmed on the scan 20 ms later", () => {
        const { fm, sc } = setup()
        fm.press("8", 103).release("8", 300)
        // first seen on the scan at 105, stable >= 20 ms on the scan at 125
        expect(run(sc, fm, 0, 600, 5)).toEqual([{ t: 125, key: "8" }])
    })

    test("a press shorter than the debounce time emits nothing", () => {
        const { fm, sc } = setup()
        fm.press("3", 100).release("3", 119)
        expect(run(sc, fm, 0, 500)).toEqual([])
    })

    test("bounce at press and at release emits once, timed from the last flicker", () => {
        const { fm, sc } = setup()
        // press: down 100, up 102, down 104, up 107, down 109 (then held)
        fm.bounce("7", 100, [2, 2, 3, 2])
        // release: up 300, down 302, up 305, down 306, up 310 (then up)
        fm.bounce("7", 300, [2, 3, 1, 4], false)
        expect(run(sc, fm, 0, 800)).toEqual([{ t: 129, key: "7" }])
    })

    test("a contact flicker while held does not emit again", () => {
        const { fm, sc } = setup()
        fm.press("2", 100).release("2", 200).press("2", 203)
        fm.release("2", 400)
        expect(run(sc, fm, 0, 800)).toEqual([{ t: 120, key: "2" }])
    })

    test("a key held for 2 s emits once (no auto-repeat)", () => {
        const { fm, sc } = setup()
        fm.press("0", 100).release("0", 2100)
        const out = run(sc, fm, 0, 3000, 5)
        expect(out).toEqual([{ t: 120, key: "0" }])
    })

    test("release then press again emits again", () => {
        const { fm, sc } = setup()
        fm.press("4", 100).release("4", 200).press("4", 300).release("4", 400)
        expect(run(sc, fm, 0, 800)).toEqual([
            { t: 120, key: "4" },
            { t: 320, key: "4" },
        ])
    })

    test("a release shorter than the debounce time does not re-arm", () => {
        const { fm, sc } = setup()
        fm.press("4", 100).release("4", 200).press("4", 215).release("4", 400)
        expect(keysOf(run(sc, fm, 0, 800))).toBe("4")
    })

    test("a quick sequence of different keys emits each in order", () => {
        const { fm, sc } = setup()
        fm.press("1", 100).release("1", 160)
        fm.press("3", 190).release("3", 250)
        fm.press("1", 280).release("1", 330)
        expect(run(sc, fm, 0, 600, 5)).toEqual([
            { t: 120, key: "1" },
            { t: 210, key: "3" },
            { t: 300, key: "1" },
        ])
    })

    test("two keys at once emit nothing, and nothing until both are released", () => {
        const { fm, sc } = setup()
        fm.press("1", 100).press("5", 100)
        fm.release("1", 300) // "5" alone and held: still locked
        fm.release("5", 600)
        fm.press("9", 700).release("9", 800)
        expect(run(sc, fm, 0, 1000)).toEqual([{ t: 720, key: "9" }])
    })

    test("a second key arriving within the debounce time cancels the first", () => {
        const { fm, sc } = setup()
        fm.press("1", 100).press("2", 110)
        fm.release("1", 200).release("2", 400)
        expect(run(sc, fm, 0, 800)).toEqual([])
    })

    test("a second key pressed while the first is held emits nothing more", () => {
        const { fm, sc } = setup()
        fm.press("1", 100).press("2", 200)
        fm.release("1", 300) // "2" alone now, but the lock holds
        fm.release("2", 500)
        expect(run(sc, fm, 0, 800)).toEqual([{ t: 120, key: "1" }])
    })

    test("two keys in one row and two in one column are both rejected", () => {
        for (const pair of ["13", "17", "*#", "20"]) {
            const { fm, sc } = setup()
            fm.press(pair[0], 100).press(pair[1], 100)
            fm.release(pair[0], 400).release(pair[1], 400)
            expect(run(sc, fm, 0, 600)).toEqual([])
        }
    })

    test("an L-shaped three-key ghost emits nothing, and the pad recovers", () => {
        const { fm, sc } = setup()
        // "1","2","4" make "5" read closed too
        fm.press("1", 100).press("2", 100).press("4", 100)
        // released one by one: "4" is alone for 200 ms but stays locked
        fm.release("1", 300).release("2", 400).release("4", 600)
        fm.press("5", 700).release("5", 800)
        expect(run(sc, fm, 0, 1000)).toEqual([{ t: 720, key: "5" }])
    })

    test("an L that builds up one key at a time emits only the first key", () => {
        const { fm, sc } = setup()
        fm.press("9", 100).press("8", 200).press("6", 210)
        fm.release("9", 300).release("8", 310).release("6", 320)
        expect(keysOf(run(sc, fm, 0, 600))).toBe("9")
    })

    test("each of the 12 keys maps to its character", () => {
        const { fm, sc } = setup()
        const all = "123456789*0#"
        for (let i = 0; i < all.length; i++)
            fm.press(all[i], 100 + i * 100).release(all[i], 150 + i * 100)
        const out = run(sc, fm, 0, 1400, 5)
        expect(keysOf(out)).toBe(all)
        expect(out.map(e => e.t)).toEqual(
            all.split("").map((_, i) => 120 + i * 100)
        )
        expect(fm.violations).toEqual([])
    })

    test("each key position is reported through keyAt", () => {
        const sc = new MatrixScanner(new FakeMatrix())
        const got: string[] = []
        for (let r = 0; r < 4; r++)
            for (let c = 0; c < 3; c++) got.push(sc.keyAt(r, c))
        expect(got.join("")).toBe("123456789*0#")
        expect([sc.rows, sc.cols]).toEqual([4, 3])
    })

    test("a custom layout is honoured", () => {
        const layout = ["ABCD", "EFGH"]
        const { fm, sc } = setup({ layout })
        fm.press("G", 100).release("G", 200).press("B", 300).release("B", 400)
        expect(keysOf(run(sc, fm, 0, 600))).toBe("GB")
        expect([sc.rows, sc.cols]).toEqual([2, 4])
    })

    test("a ragged or empty layout is rejected", () => {
        const fm = new FakeMatrix()
        expect(() => new MatrixScanner(fm, { layout: ["123", "45"] })).toThrow(
            RangeError
        )
        expect(() => new MatrixScanner(fm, { layout: [] })).toThrow(RangeError)
        expect(() => new MatrixScanner(fm, { layout: [""] })).toThrow(
            RangeError
        )
    })

    test("debounceMs below 20 is raised to 20 (not rejected)", () => {
        for (const d of [0, 5, 19, -1, NaN]) {
            const { fm, sc } = setup({ debounceMs: d })
            expect(sc.debounceMs).toBe(20)
            fm.press("5", 100).release("5", 300)
            expect(run(sc, fm, 0, 500)).toEqual([{ t: 120, key: "5" }])
        }
        expect(new MatrixScanner(new FakeMatrix()).debounceMs).toBe(20)
    })

    test("a longer debounceMs is used as given, for press and release", () => {
        const { fm, sc } = setup({ debounceMs: 50 })
        expect(sc.debounceMs).toBe(50)
        fm.press("5", 100).release("5", 300)
        fm.press("5", 340).release("5", 500) // release of 40 ms < 50: no re-arm
        fm.press("5", 600).release("5", 700)
        expect(run(sc, fm, 0, 900)).toEqual([
            { t: 150, key: "5" },
            { t: 650, key: "5" },
        ])
    })

    test("a key already down at start-up is not dialled until released", () => {
        const { fm, sc } = setup()
        fm.press("#", 0).release("#", 300).press("#", 400).release("#", 500)
        expect(run(sc, fm, 0, 700)).toEqual([{ t: 420, key: "#" }])
    })

    test("each scan drives every row once, one at a time, and reads rows x cols", () => {
        const { fm, sc } = setup()
        fm.press("1", 0).press("5", 0).press("#", 0).setTime(0)
        for (let i = 0; i < 3; i++) {
            fm.drives = 0
            fm.reads = 0
            sc.scan(i * 5)
            expect([fm.drives, fm.reads, fm.activeRow]).toEqual([8, 12, -1])
        }
        expect(fm.violations).toEqual([])
    })
})
