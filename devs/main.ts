// DialGuard firmware entry: keypad → dial session → SIP line, rings →
// auto-forward, counters in flash. See README.md for the data flow.
import * as ds from "@devicescript/core"
import { AdminServer } from "./app/adminServer"
import { Board } from "./app/board"
import { MAX_PORTS } from "./app/boardConfig"
import { PortLink } from "./app/portLink"
import { HandsetHardware } from "./hw/handsetHardware"
import { SimHandset } from "./hw/simHandset"
import { BoardHandset } from "./hw/boardHandset"
import { pins, board as hardware } from "@dsboard/dialguard_esp32"
import { HandsetPort } from "./phone/handsetPort"
import { startServer } from "@devicescript/server"
import { SettingsStore } from "./store/settingsStore"
import { Sync } from "./sync/sync"

// Roles are declared up front (the VM binds them as devices appear). Each
// handset and SIP line says which port it is; they are paired by that.
const handsetRoles = [
    new ds.Handset("handset0"),
    new ds.Handset("handset1"),
    new ds.Handset("handset2"),
    new ds.Handset("handset3"),
]
const lineRoles = [
    new ds.SipLine("line0"),
    new ds.SipLine("line1"),
    new ds.SipLine("line2"),
    new ds.SipLine("line3"),
]

const board = new Board()
const admin = new AdminServer(board)
new ds.DialguardAdmin(startServer(admin))
board.log = line => {
    console.log(line)
    admin.log(line)
}
await board.boot()
// With a broker configured: policy, state, counters and call register
// over MQTT (devs/sync). Without one the board runs offline.
if (board.config.sync)
    await new Sync(board, board.config.sync, new SettingsStore()).start()

/** Finds the bound role whose `port` register is `port`. */
async function roleForPort<T extends ds.Handset | ds.SipLine>(
    roles: T[],
    port: number
): Promise<T> {
    for (const r of roles)
        if (r.isBound && (await r.port.read()) === port) return r
    return undefined
}

let boardHandset: BoardHandset
async function hardwareFor(port: number): Promise<HandsetHardware> {
    // The reference board has its handset on GPIO (port 0); in the
    // simulator (or on a board with a handset MCU) Handset services say
    // which port they are.
    if (port === 0 && !ds.isSimulator()) {
        if (!boardHandset)
            boardHandset = new BoardHandset(
                [pins.KP_R0, pins.KP_R1, pins.KP_R2, pins.KP_R3],
                [pins.KP_C0, pins.KP_C1, pins.KP_C2],
                hardware.startHook(),
                hardware.startRinger(),
                hardware.startEarpiece()
            )
        return boardHandset
    }
    const role = await roleForPort(handsetRoles, port)
    return role ? new SimHandset(role) : undefined
}

/** A failed SIP registration shows as the board's lastError (board.ts). */
// (the event only: a register read per line would cost the heap ~1 KB)
function watchRegistration(line: ds.SipLine, ext: string) {
    line.registrationChanged.subscribe(async (v: any) =>
        board.lineRegistration(ext, typeof v === "number" ? v : v[0])
    )
}

const linked: boolean[] = []
async function linkPorts() {
    for (let i = 0; i < board.config.ports.length && i < MAX_PORTS; ++i) {
        if (linked[i]) continue
        const line = await roleForPort(lineRoles, i)
        const hw = line ? await hardwareFor(i) : undefined
        if (!hw) continue
        const link = new PortLink(hw, line, board.log)
        const port = new HandsetPort(
            board.config.ports[i],
            link,
            board,
            board.config.ring,
            board.config.callSecondMs
        )
        board.addPort(port)
        link.attach(port)
        watchRegistration(line, port.extension)
        linked[i] = true
        board.log("port " + i + " ready: extension " + port.extension)
    }
}

// The wall clock from the SIP line: every second until it is known, then
// once a minute (the board carries it forward; every register read is a
// bus round trip).
let clockTicks = 0
setInterval(async () => {
    await linkPorts()
    if (board.clock.known() && clockTicks++ % 60 !== 0) return
    for (const line of lineRoles)
        if (line.isBound)
            board.clock.set(await line.wallClock.read(), ds.millis())
}, 1000)
setInterval(async () => {
    board.tick(ds.millis())
}, 50)
