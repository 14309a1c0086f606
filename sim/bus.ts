// One simulated board: its private Jacdac bus and its firmware VM, all in
// this process, so any number of boards (and simulators) run side by side:
//
//   hub.ts    the board's Jacdac bus: in-process, plus a TCP port on
//             127.0.0.1 of its own (any free one by default) for jacdac-ts
//             and `dialguard flash --bus <url>`
//   build.ts  the firmware built by `devs build`, or as built before
//             (.devicescript/sim-builds); a FirmwareBuild serves any number
//             of boards
//   vm.ts     the firmware in the DeviceScript WASM VM, in a worker thread,
//             its frames on the hub
//
// The board's flash (<workDir>/.devicescript/flash/sim.bin) starts empty
// for each session and survives restartVm(), a power cycle.

import { appendFileSync, mkdirSync, rmSync } from "node:fs"
import { writeFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { FirmwareBuild, privateDir } from "./build"
import { HubMember, JacdacHub } from "./hub"
import { FirmwareVm } from "./vm"

export { ROOT } from "./build"
/** The VM's default device id: a restarted VM is the same device rebooting. */
export const VM_DEVICE_ID = "d1a16a2d51300001"

export interface SimBusOptions {
    /** Firmware entry, relative to the project root (default devs/main.ts). */
    firmware?: string
    /** A build to use instead of building `firmware` (shared by several boards). */
    build?: FirmwareBuild
    /** File that receives the build, bus and VM output (appended). */
    logFile: string
    /** Each line the firmware prints (console.log in the VM), prefix stripped. */
    onVmLine?: (line: string) => void
    /** The VM died without being asked to. */
    onVmExit?: (code: number) => void
    /** Keep the board's work dir (its flash) after stop(). */
    keepWorkDir?: boolean
    /** The VM's device id (16 hex digits; default VM_DEVICE_ID). */
    deviceId?: string
    /** The bus's TCP port on 127.0.0.1 if free (default: any free port). */
    busPort?: number
}

/** Removes terminal colour codes (devs colours stack frames regardless). */
export function stripAnsi(s: string) {
    return s.replace(/\x1b\[[0-9;]*m/g, "")
}

export class SimBus {
    /** The board's own dir: its flash. */
    readonly workDir: string
    /** How long each stage took, ms. */
    readonly timings: Record<string, number> = {}
    private vm?: FirmwareVm
    private member!: HubMember
    private readonly opts: SimBusOptions
    private readonly removeOnExit: () => void

    private constructor(
        opts: SimBusOptions,
        readonly build: FirmwareBuild,
        readonly hub: JacdacHub
    ) {
        this.opts = opts
        this.workDir = privateDir("sim")
        mkdirSync(dirname(this.flashFile), { recursive: true })
        const dir = this.workDir
        const keep = !!opts.keepWorkDir
        this.removeOnExit = () => {
            if (!keep) rmSync(dir, { recursive: true, force: true })
        }
        process.on("exit", this.removeOnExit)
        this.member = hub.join(frame => this.vm?.send(frame))
    }

    /** Opens the board's bus and builds the firmware; startVm() starts the VM. */
    static async start(opts: SimBusOptions): Promise<SimBus> {
        mkdirSync(dirname(opts.logFile), { recursive: true })
        writeFileSync(opts.logFile, "")
        const log = (line: string) => appendFileSync(opts.logFile, line + "\n")
        const t0 = Date.now()
        const hubOpened = JacdacHub.open(opts.busPort, l => log("bus: " + l))
        const built = opts.build
            ? Promise.resolve(opts.build)
            : FirmwareBuild.make({
                  firmware: opts.firmware,
                  log: l => log("build: " + l),
              })
        const [hub, build] = await Promise.allSettled([hubOpened, built])
        if (hub.status === "rejected" || build.status === "rejected") {
            if (hub.status === "fulfilled") await hub.value.close()
            throw hub.status === "rejected"
                ? hub.reason
                : (build as PromiseRejectedResult).reason
        }
        const bus = new SimBus(opts, build.value, hub.value)
        bus.timings.build = build.value.ms
        bus.timings.bus = Date.now() - t0
        log(`bus: ${hub.value.url}`)
        return bus
    }

    /** Where a CLI reaches this board's bus: tcp://127.0.0.1:PORT. */
    get url() {
        return this.hub.url
    }

    get firmware() {
        return this.build.firmware
    }

    get servicesFile() {
        return this.build.servicesFile
    }

    get flashFile() {
        return join(this.workDir, ".devicescript", "flash", "sim.bin")
    }

    private log(line: string) {
        appendFileSync(this.opts.logFile, line + "\n")
    }

    get vmRunning() {
        return !!this.vm
    }

    /** Starts the firmware VM; resolves once the program is deployed. */
    async startVm(opts: { clearFlash?: boolean } = {}) {
        if (this.vm) throw new Error("VM already running")
        if (opts.clearFlash) rmSync(this.flashFile, { force: true })
        const t0 = Date.now()
        const vm = new FirmwareVm({
            deviceId: this.opts.deviceId ?? VM_DEVICE_ID,
            flashFile: this.flashFile,
            dbgFile: this.build.dbgFile,
            onFrame: frame => this.member.send(frame),
            onLine: (raw, stream) => {
                const l = stripAnsi(raw)
                this.log((stream === "err" ? "vm!: " : "vm: ") + l)
                // "WASM> ..." is the firmware's console; the rest is the
                // VM's (and its own "PANIC <code>" line).
                const m = /^WASM> ?(.*)$/.exec(l) ?? /^(PANIC\b.*)$/.exec(l)
                if (m) this.opts.onVmLine?.(m[1])
            },
            onExit: code => {
                this.log(`vm: exited with code ${code}`)
                if (this.vm === vm) this.vm = undefined
                this.opts.onVmExit?.(code)
            },
        })
        this.vm = vm
        try {
            await vm.deployed
        } catch (e) {
            await this.stopVm()
            throw e
        }
        this.log(`vm: deployed ${this.build.firmware}`)
        this.timings.vmStart = Date.now() - t0
    }

    /** The VM's clock held, let run, moved on (FirmwareVm.clock); undefined without a VM. */
    vmClock(c: { hold?: boolean; advanceMs?: number }) {
        return this.vm?.clock(c)
    }

    /** Powers the VM off (its flash stays). */
    async stopVm() {
        const vm = this.vm
        this.vm = undefined
        await vm?.stop()
    }

    /** Off and on again, keeping the flash: a power cycle of the board. */
    async restartVm() {
        await this.stopVm()
        await this.startVm()
    }

    async stop() {
        await this.stopVm()
        this.member.leave()
        await this.hub.close()
        process.off("exit", this.removeOnExit)
        this.removeOnExit()
    }
}
