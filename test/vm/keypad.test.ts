// The portable keypad scanner in the DeviceScript VM (same file the host
// tests run), plus the GPIO driver end to end over fake pin objects.
import * as ds from "@devicescript/core"
import { describe, expect, test } from "@devicescript/test"
import { MatrixPins, MatrixScanner } from "../../devs/keypad/matrixScanner"
import { GpioKeypad } from "../../devs/keypad/gpioKeypad"

const KEYS = "123456789*0#"

/** Logical 4x3 matrix: one flag per key, no ghosting model. */
class FakeMatrix implements MatrixPins {
    down: boolean[] = []
    active = -1
    errors = 0
    constructor() {
        for (let i = 0; i < 12; ++i) this.down.push(false)
    }
    set(keys: string, isDown: boolean) {
        for (let i = 0; i < keys.length; ++i)
            this.down[KEYS.indexOf(keys.charAt(i))] = isDown
    }
    driveRow(row: number, active: boolean) {
        if (active) {
            if (this.active !== -1) this.errors++
            this.active = row
        } else {
            if (this.active !== row) this.errors++
            this.active = -1
        }
    }
    readColumn(col: number) {
        if (this.active < 0) {
            this.errors++
            return false
        }
        return this.down[this.active * 3 + col]
    }
}

/** Scans every 5 ms over [from, to]; returns "key@time" joined by spaces. */
async function run(sc: MatrixScanner, from: number, to: number) {
    const out: string[] = []
    for (let t = from; t <= to; t += 5) {
        // a scan is a few hundred opcodes: yield before the 128K slice limit
        if ((t - from) % 250 === 0) await ds.sleep(0)
        const k = sc.scan(t)
        if (k !== undefined) out.push(k + "@" + t)
    }
    return out.join(" ")
}

/** Key "7": flickers on every 5 ms scan 100..130 and 300..330, held between. */
function bouncy(t: number) {
    if (t < 100) return false
    if (t <= 130) return (t / 5) % 2 === 0
    if (t < 300) return true
    if (t <= 330) return (t / 5) % 2 === 1
    return false
}

describe("keypad scanner in the VM", () => {
    test("single press emits once, 20 ms after first seen", async () => {
        await ds.sleep(0)
        const fm = new FakeMatrix()
        const sc = new MatrixScanner(fm)
        expect(await run(sc, 0, 95)).toBe("")
        fm.set("5", true)
        expect(await run(sc, 100, 115)).toBe("")
        expect(await run(sc, 120, 2000)).toBe("5@120")
        fm.set("5", false)
        expect(await run(sc, 2005, 2100)).toBe("")
        fm.set("5", true)
        expect(await run(sc, 2200, 2300)).toBe("5@2220")
        expect(fm.errors).toBe(0)
    })

    test("bounce emits once", async () => {
        await ds.sleep(0)
        const fm = new FakeMatrix()
        const sc = new MatrixScanner(fm)
        await run(sc, 0, 50)
        let out = ""
        for (let t = 100; t <= 500; t += 5) {
            if (t % 250 === 0) await ds.sleep(0)
            fm.set("7", bouncy(t))
            const k = sc.scan(t)
            if (k !== undefined) out += k + "@" + t
        }
        // last flicker closes at 130
        expect(out).toBe("7@150")
    })

    test("two keys at once emit nothing until all released", async () => {
        await ds.sleep(0)
        const fm = new FakeMatrix()
        const sc = new MatrixScanner(fm)
        await run(sc, 0, 50)
        fm.set("15", true)
        expect(await run(sc, 100, 200)).toBe("")
        fm.set("1", false)
        expect(await run(sc, 205, 400)).toBe("")
        fm.set("5", false)
        expect(await run(sc, 405, 500)).toBe("")
        fm.set("9", true)
        expect(await run(sc, 505, 600)).toBe("9@525")
    })

    test("every key maps to its character", async () => {
        await ds.sleep(0)
        const fm = new FakeMatrix()
        const sc = new MatrixScanner(fm)
        await run(sc, 0, 50)
        let got = ""
        let t = 100
        for (let i = 0; i < KEYS.length; ++i) {
            await ds.sleep(0) // keep each slice short
            fm.set(KEYS.charAt(i), true)
            for (let j = 0; j < 10; ++j, t += 5) got += sc.scan(t) ?? ""
            fm.set(KEYS.charAt(i), false)
            for (let j = 0; j < 10; ++j, t += 5) got += sc.scan(t) ?? ""
        }
        expect(got).toBe(KEYS)
    })

    test("debounceMs below 20 is raised to 20", async () => {
        await ds.sleep(0)
        expect(
            new MatrixScanner(new FakeMatrix(), { debounceMs: 3 }).debounceMs
        ).toBe(20)
        expect(
            new MatrixScanner(new FakeMatrix(), { debounceMs: 35 }).debounceMs
        ).toBe(35)
    })

    test("ragged layout throws", async () => {
        await ds.sleep(0)
        expect(
            () => new MatrixScanner(new FakeMatrix(), { layout: ["12", "3"] })
        ).toThrow()
    })
})

// Fake GPIO: pins record their mode; columns read what the active row and
// the pressed key give them, like a pad with pull-ups (active-low) or
// pull-downs (active-high).
class FakeBoard {
    rows: FakePin[] = []
    cols: FakePin[] = []
    down: boolean[] = []
    activeLow: boolean
    errors = 0
    constructor(activeLow: boolean) {
        this.activeLow = activeLow
        for (let i = 0; i < 4; ++i) this.rows.push(new FakePin(this, 10 + i))
        for (let i = 0; i < 3; ++i) this.cols.push(new FakePin(this, 20 + i))
        for (let i = 0; i < 12; ++i) this.down.push(false)
    }
    set(key: string, isDown: boolean) {
        this.down[KEYS.indexOf(key)] = isDown
        this.update()
    }
    update() {
        const activeMode = this.activeLow
            ? ds.GPIOMode.OutputLow
            : ds.GPIOMode.OutputHigh
        const colMode = this.activeLow
            ? ds.GPIOMode.InputPullUp
            : ds.GPIOMode.InputPullDown
        let active = -1
        for (let r = 0; r < 4; ++r) {
            if (this.rows[r].mode === activeMode) {
                if (active >= 0) this.errors++
                active = r
            }
        }
        for (let c = 0; c < 3; ++c) {
            const p = this.cols[c]
            // only matters while a row is driven (the pins are set up one by one)
            if (active >= 0 && p.mode !== colMode) this.errors++
            const closed = active >= 0 && this.down[active * 3 + c]
            p.value = closed === this.activeLow ? 0 : 1
        }
    }
}

class FakePin {
    board: FakeBoard
    gpio: number
    mode = ds.GPIOMode.Off
    value = 0
    constructor(board: FakeBoard, gpio: number) {
        this.board = board
        this.gpio = gpio
    }
    setMode(m: ds.GPIOMode) {
        this.mode = m
        this.board.update()
    }
}

async function waitFor(cond: () => boolean, ms: number) {
    const end = ds.millis() + ms
    while (!cond() && ds.millis() < end) await ds.sleep(10)
}

async function pressAndWait(b: FakeBoard, key: string, got: string[]) {
    const n = got.length
    b.set(key, true)
    await waitFor(() => got.length > n, 3000)
    b.set(key, false)
    await ds.sleep(150)
}

async function pressFor(b: FakeBoard, key: string, ms: number) {
    b.set(key, true)
    await ds.sleep(ms)
    b.set(key, false)
    await ds.sleep(ms)
}

describe("GPIO keypad driver over fake pins", () => {
    test("active-low: pull-ups on columns, rows idle high, keys delivered", async () => {
        await ds.sleep(0)
        const b = new FakeBoard(true)
        const kp = new GpioKeypad(b.rows as any[], b.cols as any[])
        const got: string[] = []
        kp.onKey(k => {
            got.push(k)
        })
        expect(b.cols[0].mode).toBe(ds.GPIOMode.InputPullUp)
        expect(b.rows[3].mode).toBe(ds.GPIOMode.OutputHigh)
        await ds.sleep(100)
        await pressAndWait(b, "1", got)
        await pressAndWait(b, "#", got)
        await pressAndWait(b, "0", got)
        kp.stop()
        expect(got.join("")).toBe("1#0")
        expect(b.errors).toBe(0)
    })

    test("active-high: pull-downs on columns, rows idle low", async () => {
        await ds.sleep(0)
        const b = new FakeBoard(false)
        const kp = new GpioKeypad(b.rows as any[], b.cols as any[], {
            activeLow: false,
        })
        const got: string[] = []
        kp.onKey(k => {
            got.push(k)
        })
        expect(b.cols[2].mode).toBe(ds.GPIOMode.InputPullDown)
        expect(b.rows[0].mode).toBe(ds.GPIOMode.OutputLow)
        await ds.sleep(100)
        await pressAndWait(b, "9", got)
        await pressAndWait(b, "*", got)
        kp.stop()
        expect(got.join("")).toBe("9*")
        expect(b.errors).toBe(0)
    })

    test("floatInactiveRows leaves idle rows as inputs", async () => {
        await ds.sleep(0)
        const b = new FakeBoard(true)
        const kp = new GpioKeypad(b.rows as any[], b.cols as any[], {
            floatInactiveRows: true,
        })
        const got: string[] = []
        kp.onKey(k => {
            got.push(k)
        })
        expect(b.rows[1].mode).toBe(ds.GPIOMode.Input)
        await ds.sleep(100)
        await pressAndWait(b, "4", got)
        kp.stop()
        expect(got.join("")).toBe("4")
    })

    test("a slow handler gets every key, in order (no coalescing)", async () => {
        await ds.sleep(0)
        const b = new FakeBoard(true)
        const kp = new GpioKeypad(b.rows as any[], b.cols as any[])
        const got: string[] = []
        let handled = ""
        kp.onKey(async k => {
            got.push(k)
            if (k === "1") await ds.sleep(1500) // busy while 2 and 3 arrive
            handled += k
        })
        await ds.sleep(100)
        await pressAndWait(b, "1", got)
        // "1" handler is asleep: these two are only queued
        await pressFor(b, "2", 200)
        await pressFor(b, "3", 200)
        expect(handled).toBe("")
        expect(got.join("")).toBe("1")
        await waitFor(() => handled.length >= 3, 4000)
        kp.stop()
        expect(handled).toBe("123")
    })

    test("a throwing handler does not stop the keypad", async () => {
        await ds.sleep(0)
        const b = new FakeBoard(true)
        const kp = new GpioKeypad(b.rows as any[], b.cols as any[])
        const got: string[] = []
        kp.onKey(k => {
            got.push(k)
        })
        kp.onKey(k => {
            if (k === "5") throw new Error("boom")
        })
        await ds.sleep(100)
        await pressAndWait(b, "5", got)
        await pressAndWait(b, "6", got)
        kp.stop()
        expect(got.join("")).toBe("56")
    })

    test("pin counts must match the layout", async () => {
        await ds.sleep(0)
        const b = new FakeBoard(true)
        expect(
            () => new GpioKeypad(b.rows.slice(0, 3) as any[], b.cols as any[])
        ).toThrow()
    })
})
