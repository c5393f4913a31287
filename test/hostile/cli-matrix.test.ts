/**
 * The long CLI matrix: every hostile-archive case through `import`, and SIGKILL at every rename
 * (journal commits and activation) plus random staging writes, each followed by rerun and undo.
 */
import './full-matrix.js'
import '../integration/hostile-import.test.js'
