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
function vmRequire(name) {
    const m = requireCli(name)
    if (name !== "tls" || !extraCa) return m
    const ca = [...m.rootCertificates, readFileSync(extraCa, "utf8")]
    return { ...m, connect: options => m.connect({ ca, ...options }) }
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
vm.devsGcStress(false)
vm.devsSetDeviceId(deviceId)
vm.devsStart()
parentPort.on("message", frame => vm.handlePacket(frame))
post({ deployed: vm.devsDeploy(program) })
