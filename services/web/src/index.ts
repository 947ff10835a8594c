/** The web service: chat UI, operations console and proxies. */
export {};
