/** Monitoring as code for samosaChaat (see deploy/ and docs/deployment.md). */
export {};
