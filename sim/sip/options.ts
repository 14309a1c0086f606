// `--sip sip:HOST[:PORT][;transport=tcp]` and its credentials: what a user
// gives the simulator to put its board in front of a real SIP server.
import { createSocket } from "node:dgram"
import { SimError } from "../../src/board/errors"
import type { SipServer } from "./userAgent"

export interface SipLineOptions {
    server: SipServer
    /** Digest password (all ports), from --sip-password or DIALGUARD_SIP_PASSWORD. */
    password?: string
    /** Digest user name when it is not the extension (DIALGUARD_SIP_USER). */
    authUser?: string
    /** The address the UAs listen on and put in their Contact (default 127.0.0.1). */
    localAddress?: string
    /** Registration lifetime asked for, s. */
    expires?: number
    retryMs?: number
}

/** Parses `sip:HOST[:PORT][;transport=udp|tcp]` (the default port 5060, UDP). */
export function parseSipServer(text: string): SipServer {
    const m =
        /^sip:(\[[0-9a-f:.]+\]|[A-Za-z0-9.-]+)(?::(\d{1,5}))?(?:;transport=(udp|tcp))?$/i.exec(
            text.trim()
        )
    if (!m)
        throw new SimError(
            `--sip wants sip:HOST[:PORT][;transport=udp|tcp], not "${text}"`
        )
    const port = m[2] ? Number(m[2]) : 5060
    if (port < 1 || port > 65535)
        throw new SimError(`--sip: port ${port} is out of range`)
    return {
        host: m[1],
        port,
        transport: (m[3]?.toLowerCase() as "udp" | "tcp") ?? "udp",
    }
}

/**
 * The SIP options from the command line's values and the environment
 * (DIALGUARD_SIP_PASSWORD, DIALGUARD_SIP_USER, DIALGUARD_SIP_LOCAL):
 * a password is better kept out of the shell history.
 */
export async function sipOptionsFrom(
    uri: string,
    flags: {
        password?: string
        user?: string
        local?: string
        transport?: string
    },
    env: NodeJS.ProcessEnv = process.env
): Promise<SipLineOptions> {
    const server = parseSipServer(uri)
    if (flags.transport) {
        const t = flags.transport.toLowerCase()
        if (t !== "udp" && t !== "tcp")
            throw new SimError(
                `--sip-transport is udp or tcp, not "${flags.transport}"`
            )
        server.transport = t
    }
    return {
        server,
        password: flags.password ?? env["DIALGUARD_SIP_PASSWORD"],
        authUser: flags.user ?? env["DIALGUARD_SIP_USER"],
        localAddress:
            flags.local ??
            env["DIALGUARD_SIP_LOCAL"] ??
            (await localAddressFor(server)),
    }
}

/**
 * The address this host reaches `server` from (a connected UDP socket
 * tells). npm `sip` takes a request for its own address as one to itself,
 * so a UA beside a server on 127.0.0.1 listens on 127.0.0.2 (Linux
 * answers on all of 127/8).
 */
export async function localAddressFor(server: SipServer): Promise<string> {
    if (/^127\./.test(server.host))
        return server.host === "127.0.0.2" ? "127.0.0.3" : "127.0.0.2"
    const s = createSocket("udp4")
    try {
        return await new Promise<string>((resolve, reject) => {
            s.once("error", reject)
            s.connect(server.port, server.host, () =>
                resolve(s.address().address)
            )
        })
    } catch {
        return "0.0.0.0"
    } finally {
        s.close()
    }
}
