// The board definition is checked by the real DeviceScript toolchain: a
// project with it builds, and the same board with a forbidden pin does not.
import { execFileSync } from "node:child_process"
import {
    cpSync,
    mkdirSync,
    mkdtempSync,
    readFileSync,
    rmSync,
    symlinkSync,
    writeFileSync,
} from "node:fs"
import { tmpdir } from "node:os"
import { join, resolve } from "node:path"
import { afterAll, describe, expect, test } from "vitest"

const root = resolve(__dirname, "..")
const boardFile = join(root, "boards/dialguard_esp32.board.json")
const dirs: string[] = []

/** A throwaway DeviceScript project with `board` and an entry using its pins; returns devs build's outcome. */
function build(board: any): { ok: boolean; out: string } {
    const dir = mkdtempSync(join(tmpdir(), "dg-board-"))
    dirs.push(dir)
    mkdirSync(join(dir, "boards"))
    mkdirSync(join(dir, "node_modules/@devicescript"), { recursive: true })
    symlinkSync(
        join(root, "node_modules/@devicescript/cli"),
        join(dir, "node_modules/@devicescript/cli")
    )
    writeFileSync(
        join(dir, "package.json"),
        '{"name":"board-check","version":"0.0.0"}'
    )
    writeFileSync(join(dir, "devsconfig.json"), "{}")
    writeFileSync(
        join(dir, "boards/dialguard_esp32.board.json"),
        JSON.stringify(board)
    )
    writeFileSync(
        join(dir, "main.ts"),
        'import { pins, board } from "@dsboard/dialguard_esp32"\nconsole.log(pins.KP_R0, pins.KP_C2)\nboard.startHook()\nboard.startRinger()\nboard.startEarpiece()\n'
    )
    try {
        const out = execFileSync(
            process.execPath,
            [
                join(root, "node_modules/@devicescript/cli/devicescript"),
                "build",
                "main.ts",
            ],
            {
                cwd: dir,
                encoding: "utf8",
                stdio: ["ignore", "pipe", "pipe"],
            }
        )
        return { ok: true, out }
    } catch (e: any) {
        return { ok: false, out: String(e.stdout) + String(e.stderr) }
    }
}

afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true })
})

describe("boards/dialguard_esp32.board.json", () => {
    const board = JSON.parse(readFileSync(boardFile, "utf8"))

    test("builds: keypad pins, hook, ringer and earpiece services resolve", () => {
        const r = build(board)
        expect(r.out).not.toContain("error")
        expect(r.ok).toBe(true)
    }, 60000)

    test("a flash pin (GPIO 6) is rejected by devs build", () => {
        const bad = JSON.parse(JSON.stringify(board))
        bad.pins.KP_R0 = 6
        const r = build(bad)
        expect(r.ok).toBe(false)
        expect(r.out).toContain("KP_R0=6 has 'flash' function")
    }, 60000)

    test("two functions on one pin are rejected", () => {
        const bad = JSON.parse(JSON.stringify(board))
        bad.pins.KP_C2 = bad.pins.KP_C1
        const r = build(bad)
        expect(r.ok).toBe(false)
    }, 60000)
})
