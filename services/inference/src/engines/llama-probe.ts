/**
 * Loads one GGUF file with llama.cpp and exits: 0 when it loads, 2 with the error on stderr
 * when it is refused. Run as a child process by the llama engine before it loads a file
 * itself, because some malformed files make llama.cpp abort the whole process.
 */
import { getLlama, LlamaLogLevel } from 'node-llama-cpp';

const path = process.argv[2];
if (path === undefined) {
  process.stderr.write('usage: llama-probe FILE.gguf\n');
  process.exit(2);
}
try {
  const llama = await getLlama({ gpu: false, build: 'never', logLevel: LlamaLogLevel.error, progressLogs: false, skipDownload: true });
  const model = await llama.loadModel({ modelPath: path, gpuLayers: 0, useMmap: true });
  await model.dispose();
  process.exit(0);
} catch (err) {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(2);
}
