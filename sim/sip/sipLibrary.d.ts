// Types for the parts of npm `sip` (0.0.6, untyped) DialGuard uses.
declare module "sip" {
    export interface SipUri {
        schema?: string
        user?: string
        password?: string
        host: string
        port?: number
        params: Record<string, string | null | undefined>
        headers?: Record<string, string>
    }
    export interface NameAddr {
        name?: string
        uri: string
        params: Record<string, string | null | undefined>
    }
    export interface Via {
        version?: string
        protocol?: string
        host?: string
        port?: number
        params: Record<string, string | number | null | undefined>
    }
    export interface SipMessage {
        method?: string
        uri?: string
        status?: number
        reason?: string
        version?: string
        headers: {
            via?: Via[]
            to?: NameAddr
            from?: NameAddr
            "call-id"?: string
            cseq?: { method: string; seq: number }
            contact?: NameAddr[] | "*"
            route?: NameAddr[]
            "record-route"?: NameAddr[]
            "content-type"?: string
            "max-forwards"?: number
            expires?: string | number
            [name: string]: unknown
        }
        content?: string
    }
    export interface Remote {
        protocol: string
        address: string
        port: number
    }
    export interface SipStack {
        send(m: SipMessage, onResponse?: (rs: SipMessage) => void): void
        destroy(): void
    }
    export interface StackOptions {
        address?: string
        port?: number
        publicAddress?: string
        hostname?: string
        udp?: boolean
        tcp?: boolean
        logger?: {
            send?(m: SipMessage, target: Remote): void
            recv?(m: SipMessage, remote: Remote): void
            error?(e: unknown): void
        }
    }
    export function create(
        options: StackOptions,
        onRequest: (rq: SipMessage, remote: Remote) => void
    ): SipStack
    export function makeResponse(
        rq: SipMessage,
        status: number,
        reason?: string,
        extension?: { headers?: Record<string, unknown>; content?: string }
    ): SipMessage
    export function parseUri(s: string): SipUri
    export function stringifyUri(u: SipUri | string): string
    export function parseAOR(d: { s: string; i: number }): NameAddr
    export function generateBranch(): string
    export function stringify(m: SipMessage): string
    const sip: {
        create: typeof create
        makeResponse: typeof makeResponse
        parseUri: typeof parseUri
        stringifyUri: typeof stringifyUri
        parseAOR: typeof parseAOR
        generateBranch: typeof generateBranch
        stringify: typeof stringify
    }
    export default sip
}

declare module "sip/digest.js" {
    import type { SipMessage } from "sip"
    export interface DigestContext {
        [k: string]: unknown
    }
    export function signRequest(
        ctx: DigestContext,
        rq: SipMessage,
        rs?: SipMessage,
        creds?: { user: string; password: string }
    ): DigestContext | null
    const digest: { signRequest: typeof signRequest }
    export default digest
}
