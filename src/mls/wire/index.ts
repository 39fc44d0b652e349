/**
 * RFC 9420 wire structures (work in progress: more files are added here as
 * they land). See each file's header for its RFC section.
 */
export * from './extension.js'
export * from './group-context.js'
export * from './psk.js'
