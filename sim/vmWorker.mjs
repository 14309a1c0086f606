// One board's DeviceScript VM (the WASM build `devs run` uses), in a worker
// thread of the simulator (sim/vm.ts starts it). What `devs run` does, minus
// the network: the VM's Jacdac frames go to the parent (its private bus,
// sim/hub.ts) and frames from the parent go into the VM; the flash lives in
// `flashFile`; the VM's console goes to the parent as messages.
//
// workerData: { source, sourceFile, deviceId, flashFile, program }
// To the parent: { frame }, { dmesg }, { out }, { err }, { deployed: code }
// From the parent: a frame (Uint8Array).
import { readFileSync, writeFileSync } from "node:fs"
import { createRequire } from "node:module"
import { dirname } from "node:path"
import { format } from "node:util"
import { parentPort, workerData } from "node:worker_threads"

const { source, sourceFile, deviceId, flashFile, program } = workerData
const post = m => parentPort.postMessage(m)

// The VM and emscripten print with console.*: to the parent, not stdout.
console.log = console.info = (...a) => post({ out: format(...a) })
console.warn = console.error = (...a) => post({ err: format(...a) })
console.debug = (...a) => post({ dmesg: format(...a) })

// NODE_EXTRA_CA_CERTS is read when a process starts: a VM in a process of
// its own (`devs run`) trusted the CAs it names when its parent set it, so
// the VM's TLS sockets (MQTT over TLS) trust them here too.
const requireCli = createRequire(sourceFile)
const extraCa = process.env.NODE_EXTRA_CA_CERTS

// Socket reads as the ESP32 runtime does them (devicescript's
// runtime/espidf tcpsock: recv() into a 128-byte buffer, each piece one
// "data" event, one heap Buffer; between two main-loop steps at most what
// lwIP holds, its TCP window, 5760 bytes by default; the rest waits in the
// network). Node instead hands the VM each chunk it read (up to 64 KB) as
// one heap Buffer at once: a large message would exhaust the 64 KB heap in
// the simulator where a board would read it in small pieces.
const PIECE = 128
const WINDOW = 5760
const readers = new Set()
function boundedReads(sock) {
    const queue = []
    let queued = 0
    let onData = () => {}
    let onClose
    let closed
    const on = sock.on.bind(sock)
    sock.on = (ev, fn) => {
        if (ev === "data") onData = fn
        else if (ev === "close") onClose = fn
        else on(ev, fn)
        return sock
    }
    on("data", b => {
        queue.push(b)
        queued += b.length
        if (queued >= WINDOW) sock.pause()
    })
    on("close", hadError => (closed = [hadError]))
    readers.add(() => {
        let budget = WINDOW
        while (queue.length && budget > 0) {
            const b = queue[0]
            const n = Math.min(PIECE, b.length, budget)
            onData(b.subarray(0, n))
            budget -= n
            queued -= n
            if (n === b.length) queue.shift()
            else queue[0] = b.subarray(n)
        }
        if (queued < WINDOW) sock.resume()
        if (!queue.length && closed) {
            onClose?.(...closed)
            closed = undefined
            return true
        }
        return false
    })
    return sock
}

function vmRequire(name) {
    const m = requireCli(name)
    if (name === "net")
        return {
            ...m,
            createConnection: (...a) => boundedReads(m.createConnection(...a)),
        }
    if (name !== "tls") return m
    const ca = extraCa
        ? [...m.rootCertificates, readFileSync(extraCa, "utf8")]
        : undefined
    return {
        ...m,
        connect: options =>
            boundedReads(m.connect(ca ? { ca, ...options } : options)),
    }
}

// The VM module as @devicescript/cli bundles it (a CommonJS factory).
const mod = { exports: {} }
new Function(
    "exports",
    "module2",
    "require",
    "__filename",
    "__dirname",
    source
)(mod.exports, mod, vmRequire, sourceFile, dirname(sourceFile))
const vm = await mod.exports()
// the socket data of a step goes in before the VM runs
const step = vm._jd_em_process
vm._jd_em_process = () => {
    for (const r of [...readers]) if (r()) readers.delete(r)
    return step()
}

vm.dmesg = text => post({ dmesg: text })
vm.log = console.log
vm.error = console.error
vm.sendPacket = frame => parentPort.postMessage({ frame }, [frame.buffer])
vm.flashLoad = () => {
    try {
        return new Uint8Array(readFileSync(flashFile))
    } catch {
        return new Uint8Array(0)
    }
}
vm.flashSave = buf => writeFileSync(flashFile, buf)
// The flash of an ESP32 board: DeviceScript's ESP32 image keeps settings
// in its 256 KB "nvs" partition (devicescript-esp32 boards/partitions.csv);
// the VM's default is 128 KB, half of what the board has.
vm.flashSize = 256 * 1024
vm.devsGcStress(false)
vm.devsSetDeviceId(deviceId)
vm.devsStart()
// The VM's clock (its only time source is Date.now(), em_time_now): the
// host's, or slowed down and moved on by the parent ({ clock: { hold,
// advanceMs } }, answered { clockDone: id }) so that a test can make an
// hour's call or a month of days without waiting for them. Held, it runs
// at a tenth of the host's pace (stopped, the VM would not run at all: it
// steps only as time passes). Nothing but the VM reads it here.
const HELD_RATE = 0.1
const realNow = Date.now
let vmAt = realNow() // the VM's time at realAt
let realAt = vmAt
let rate = 1
Date.now = () => vmAt + (realNow() - realAt) * rate
function rebase(newRate) {
    vmAt = Date.now()
    realAt = realNow()
    rate = newRate
}
// The VM's Jacdac layer keeps time in 32-bit microseconds (it wraps every
// ~71.6 min) and so does the firmware's millisecond clock: a jump of time
// would stall the one (a deadline more than 2^31 µs away is taken as not
// due) and make it drop every device it has not heard from for 2 s (and
// the events of the next second, while it binds them again). So time moves
// on in steps of 1.5 s, each followed by the last announce of every device
// on the bus (as if heard meanwhile), a VM step and a pause of a
// millisecond for the sockets (the firmware's MQTT pings are answered: its
// link lives through an hour's call), ~2 ms a step; the clock stands still
// between the steps: they move it by `ms` exactly.
const STEP_MS = 1500
const announces = new Map()
function noteAnnounce(frame) {
    // crc(2) size(1) flags(1) device id(8), then a packet: size(1) service
    // index(1) command(2); an announce is a report (flag 1 clear) of
    // service 0, command 0
    if (frame.length < 16 || frame[3] & 1) return
    if (frame[13] !== 0 || frame[14] !== 0 || frame[15] !== 0) return
    announces.set(
        Buffer.from(frame.subarray(4, 12)).toString("hex"),
        frame.slice()
    )
}
const pause = () => new Promise(r => setTimeout(r, 1))
async function advance(ms) {
    const was = rate
    rebase(0)
    let rest = ms
    while (rest > 0) {
        const step = Math.min(rest, STEP_MS)
        vmAt += step
        rest -= step
        for (const a of announces.values()) vm.handlePacket(a.slice())
        await pause()
    }
    rebase(was)
}
let clockQueue = Promise.resolve()
function clock(c) {
    clockQueue = clockQueue.then(async () => {
        if (c.hold !== undefined) rebase(c.hold ? HELD_RATE : 1)
        if (c.advanceMs > 0) await advance(c.advanceMs)
        post({ clockDone: c.id })
    })
}
parentPort.on("message", m => {
    if (m instanceof Uint8Array) {
        noteAnnounce(m)
        vm.handlePacket(m)
    } else if (m && m.clock) clock(m.clock)
})
post({ deployed: vm.devsDeploy(program) })
if (process.env.DBG_ALIVE)
    setInterval(
        () => post({ out: "ALIVE " + Date.now() + " rate " + rate }),
        2000
    )
