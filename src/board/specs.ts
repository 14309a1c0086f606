// The custom Jacdac services (services/*.md) as jacdac-ts specifications,
// from the services.json that `devs build` writes, with lookups by name.

import { readFileSync } from "node:fs"
import "./jd" // declares the global jdspec namespace
import { SimError } from "./errors"

export type ServiceSpec = jdspec.ServiceSpec
export type PacketSpec = jdspec.PacketInfo

export interface SimSpecs {
    all: ServiceSpec[]
    handset: ServiceSpec
    sipLine: ServiceSpec
    admin: ServiceSpec
}

export function loadSpecs(file: string): SimSpecs {
    let all: ServiceSpec[]
    try {
        all = JSON.parse(readFileSync(file, "utf8"))
    } catch (e) {
        throw new SimError(
            `cannot read the service specs ${file}: ${(e as Error).message}`
        )
    }
    const get = (shortId: string) => {
        const s = all.find(s => s.shortId === shortId)
        if (!s)
            throw new SimError(
                `service '${shortId}' missing from ${file} (services/${shortId}.md not built?)`
            )
        return s
    }
    return {
        all,
        handset: get("handset"),
        sipLine: get("sipline"),
        admin: get("dialguardadmin"),
    }
}

/** The packet `name` of `kind` in `spec` (e.g. event "incoming_call"). */
export function packet(
    spec: ServiceSpec,
    kind: string,
    name: string
): PacketSpec {
    const p = spec.packets.find(
        p => p.kind === kind && p.name === name && !p.derived
    )
    if (!p) throw new Error(`no ${kind} ${name} in service ${spec.shortId}`)
    return p
}

/** The name of member `value` of enum `name` ("Unobtainable" for tone 4). */
export function enumName(
    spec: ServiceSpec,
    name: string,
    value: number
): string {
    const e = spec.enums[name]
    const m = e && Object.entries(e.members).find(([, v]) => v === value)
    return m ? m[0] : String(value)
}

export function enumValue(
    spec: ServiceSpec,
    name: string,
    member: string
): number | undefined {
    const e = spec.enums[name]
    if (!e) return undefined
    const k = Object.keys(e.members).find(
        k => k.toLowerCase() === member.toLowerCase()
    )
    return k === undefined ? undefined : e.members[k]
}
