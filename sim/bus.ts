// The simulator's bus and firmware VM, as child processes:
//
//   devs devtools                 Jacdac bus: ws 8081 (the VM), tcp 8082
//                                 (our jacdac-ts devices), DAP 8083
//   devs build <firmware>         once per session, into a private work dir
//   devs run bytecode-dbg.json    the firmware in the WASM VM, on ws 8081
//
// Everything runs in a private work dir (a temp dir holding symlinks to the
// project), so builds never touch the project's .devicescript/bin and the
// VM's flash (.devicescript/flash/sim.bin, written by `devs run` when not
// under --test) starts empty for each session and survives restartVm().

import {
    mkdirSync,
    mkdtempSync,
    readdirSync,
    rmSync,
    symlinkSync,
} from "node:fs"
import { appendFileSync, existsSync, writeFileSync } from "node:fs"
import { connect } from "node:net"
import { tmpdir } from "node:os"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"
import { Child, spawnChild } from "./proc"
import { SimError } from "./errors"

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "..")
export const BUS_PORTS = [8081, 8082, 8083]
export const TCP_PORT = 8082
/** devs devtools exits with this when a port is taken (cli/src/exitcodes.ts). */
const EXIT_EADDRINUSE = 100
const DEVS_CLI = join(
    ROOT,
    "node_modules",
    "@devicescript",
    "cli",
    "devicescript"
)
/** A fixed VM device id: a restarted VM is the same device rebooting. */
export const VM_DEVICE_ID = "d1a16a2d51300001"

export interface SimBusOptions {
    /** Firmware entry, relative to the project root (default devs/main.ts). */
    firmware?: string
    /** File that receives the devtools and VM output (appended). */
    logFile: string
    /** Each line the firmware prints (console.log in the VM), prefix stripped. */
    onVmLine?: (line: string) => void
    /** The VM exited without being asked to. */
    onVmExit?: (code: number) => void
    /** devs devtools (the bus) exited without being asked to. */
    onBusExit?: (code: number) => void
    /** Keep the work dir (flash, build output) after stop(). */
    keepWorkDir?: boolean
    /** If the bus ports are taken, wait up to this long for them (default 0). */
    portWaitMs?: number
}

/** Removes terminal colour codes (devs colours stack frames regardless). */
export function stripAnsi(s: string) {
    return s.replace(/\x1b\[[0-9;]*m/g, "")
}

function sleep(ms: number) {
    return new Promise(r => setTimeout(r, ms))
}

/** True if something accepts TCP connections on 127.0.0.1:port. */
export function portTaken(port: number): Promise<boolean> {
    return new Promise(res => {
        const s = connect(port, "127.0.0.1")
        s.once("connect", () => {
            s.destroy()
            res(true)
        })
        s.once("error", () => res(false))
    })
}

function busyMessage(port: number) {
    return (
        `port ${port} is in use: another simulator is running on this machine` +
        ` (devs devtools, a VS Code DeviceScript session or another` +
        ` 'dialguard sim'); stop it first (the bus ports 8081-8083 are fixed)`
    )
}

async function waitPortsFree(waitMs: number) {
    const deadline = Date.now() + waitMs
    for (;;) {
        let taken: number | undefined
        for (const p of BUS_PORTS) if (await portTaken(p)) taken ??= p
        if (taken === undefined) return
        if (Date.now() >= deadline) throw new SimError(busyMessage(taken))
        await sleep(500)
    }
}

/** A temp dir that looks like the project: symlinks to each top-level entry. */
function makeWorkDir(): string {
    const dir = mkdtempSync(join(tmpdir(), "dialguard-sim-"))
    for (const name of readdirSync(ROOT)) {
        if (name === ".devicescript" || name === ".git") continue
        symlinkSync(join(ROOT, name), join(dir, name))
    }
    mkdirSync(join(dir, ".devicescript", "flash"), { recursive: true })
    return dir
}

export class SimBus {
    readonly workDir: string
    readonly firmware: string
    /** How long each stage took, ms. */
    readonly timings: Record<string, number> = {}
    private devtools?: Child
    private vm?: Child
    private vmStopping = false
    private vmLines: ((line: string) => void)[] = []
    private opts: SimBusOptions

    private constructor(opts: SimBusOptions) {
        this.opts = opts
        const fw = opts.firmware ?? "devs/main.ts"
        const rel = relative(ROOT, resolve(ROOT, fw))
        if (rel.startsWith("..") || !existsSync(join(ROOT, rel)))
            throw new SimError(
                `firmware ${fw} not found (give a .ts file inside ${ROOT})`
            )
        this.firmware = rel
        mkdirSync(dirname(opts.logFile), { recursive: true })
        writeFileSync(opts.logFile, "")
        this.workDir = makeWorkDir()
        // Also on Ctrl-C / SIGTERM (proc.ts exits the process then).
        const dir = this.workDir
        const keep = !!opts.keepWorkDir
        this.removeOnExit = () => {
            if (!keep) rmSync(dir, { recursive: true, force: true })
        }
        process.on("exit", this.removeOnExit)
    }

    private removeOnExit: () => void

    /** Starts the bus and builds the firmware; the VM is started by startVm(). */
    static async start(opts: SimBusOptions): Promise<SimBus> {
        await waitPortsFree(opts.portWaitMs ?? 0)
        const bus = new SimBus(opts)
        try {
            await Promise.all([bus.startDevtools(), bus.build()])
        } catch (e) {
            await bus.stop()
            throw e
        }
        return bus
    }

    get servicesFile() {
        return join(this.workDir, ".devicescript", "services.json")
    }

    get flashFile() {
        return join(this.workDir, ".devicescript", "flash", "sim.bin")
    }

    private log(line: string) {
        appendFileSync(this.opts.logFile, line + "\n")
    }

    /**
     * Starts devs devtools and makes sure the bus on 8082 is ours: another
     * simulator may grab the ports between our check and our start, and
     * then our devtools exits (code 100) while the ports still answer. Our
     * devtools logs "tcpclient: connected" for our probe connection.
     */
    private async startDevtools() {
        const t0 = Date.now()
        let probes = 0
        const child = spawnChild(
            "devtools",
            DEVS_CLI,
            ["devtools", "--no-colors"],
            this.workDir,
            l => {
                this.log("devtools: " + l)
                if (/^tcpclient: connected/.test(l)) probes++
            }
        )
        this.devtools = child
        const exitError = async () => {
            const code = await child.exited
            if (code === EXIT_EADDRINUSE)
                return new SimError(busyMessage(TCP_PORT))
            return new SimError(
                `devs devtools exited with code ${code} (see ${this.opts.logFile})`
            )
        }
        const deadline = Date.now() + 20000
        for (;;) {
            if (!child.running) throw await exitError()
            if (Date.now() > deadline)
                throw new SimError(
                    "devs devtools did not open port 8082 within 20 s"
                )
            if (await portTaken(TCP_PORT)) {
                const until = Date.now() + 1500
                while (!probes && child.running && Date.now() < until)
                    await sleep(50)
                if (probes) break
                if (!child.running) throw await exitError()
                throw new SimError(busyMessage(TCP_PORT))
            }
            await sleep(100)
        }
        this.timings.devtools = Date.now() - t0
        child.exited.then(code => {
            if (!this.stopping) this.opts.onBusExit?.(code)
        })
    }

    /** `devs build` in the work dir: .devicescript/bin and services.json. */
    private async build() {
        const t0 = Date.now()
        const out: string[] = []
        const child = spawnChild(
            "build",
            DEVS_CLI,
            ["build", this.firmware, "--no-colors", "--quiet"],
            this.workDir,
            l => {
                out.push(l)
                this.log("build: " + l)
            }
        )
        const code = await child.exited
        if (code !== 0)
            throw new SimError(
                `the firmware ${this.firmware} does not build (devs build exit ${code})`,
                out.filter(l => !/^using devs:/.test(l))
            )
        this.timings.build = Date.now() - t0
    }

    get vmRunning() {
        return !!this.vm?.running
    }

    /**
     * Starts the firmware VM (`devs run`, normal mode: ws bus, flash in the
     * work dir); resolves once the program is deployed and started.
     */
    async startVm(opts: { clearFlash?: boolean } = {}) {
        if (this.vm?.running) throw new Error("VM already running")
        if (opts.clearFlash) rmSync(this.flashFile, { force: true })
        const t0 = Date.now()
        const dbg = join(".devicescript", "bin", "bytecode-dbg.json")
        let started!: () => void
        const ready = new Promise<void>(r => (started = r))
        const child = spawnChild(
            "vm",
            DEVS_CLI,
            ["run", dbg, "--no-colors", "--device-id", VM_DEVICE_ID],
            this.workDir,
            (raw, stream) => {
                const l = stripAnsi(raw)
                this.log((stream === "err" ? "vm!: " : "vm: ") + l)
                // "WASM> ..." is the firmware's console; the rest is devs'.
                // (and the VM's own "PANIC <code>" line).
                const m = /^WASM> ?(.*)$/.exec(l) ?? /^(PANIC\b.*)$/.exec(l)
                if (m) {
                    this.opts.onVmLine?.(m[1])
                    for (const f of this.vmLines) f(m[1])
                }
                if (/^self-deployed /.test(l)) started()
            }
        )
        this.vm = child
        this.vmStopping = false
        child.exited.then(code => {
            this.log(`vm: exited with code ${code}`)
            if (!this.vmStopping) this.opts.onVmExit?.(code)
        })
        // Started, or exited, or timed out: whichever comes first.
        let timer: NodeJS.Timeout | undefined
        const failed = new Promise<string>(resolve => {
            child.exited.then(code =>
                resolve(
                    `the firmware VM exited at start (code ${code}; see ${this.opts.logFile})`
                )
            )
            timer = setTimeout(
                () => resolve("the firmware VM did not start within 20 s"),
                20000
            )
        })
        const why = await Promise.race([ready.then(() => ""), failed])
        clearTimeout(timer)
        if (why) throw new SimError(why)
        this.timings.vmStart = Date.now() - t0
    }

    /** Kills the VM process (its flash stays). */
    async stopVm() {
        if (!this.vm) return
        this.vmStopping = true
        await this.vm.stop(1000)
        this.vm = undefined
    }

    /** Kill and start again, keeping the flash: a power cycle of the board. */
    async restartVm() {
        await this.stopVm()
        await this.startVm()
    }

    private stopping = false

    async stop() {
        this.stopping = true
        await this.stopVm()
        await this.devtools?.stop(1000)
        this.devtools = undefined
        process.off("exit", this.removeOnExit)
        this.removeOnExit()
    }
}
