// The questions the operators' commands ask. On a terminal they are @inquirer/prompts (the
// password hidden as it is typed). From a pipe (scripts, tests), one line answers one question:
// each inquirer prompt opens its own reader on stdin, which reads ahead, so the second prompt of
// a piped run would find its line already consumed and lost.
import readline from 'node:readline';
import { confirm, input, password } from '@inquirer/prompts';

/** Stdin ended (or Ctrl-C on a terminal) before the question was answered. */
export class PromptClosed extends Error {
  override name = 'PromptClosed';
}

export interface Prompter {
  text(message: string): Promise<string>;
  /** Not shown as it is typed. */
  secret(message: string): Promise<string>;
  /** A yes/no question whose default is no. */
  confirm(message: string): Promise<boolean>;
  close(): void;
}

export function createPrompter(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Prompter {
  return stdin.isTTY ? terminalPrompter(stdin, stdout) : linePrompter(stdin, stdout);
}

function terminalPrompter(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Prompter {
  const context = { input: stdin, output: stdout };
  const asked = async <T>(prompt: Promise<T>): Promise<T> => {
    try {
      return await prompt;
    } catch (error) {
      // Ctrl-C or a closed terminal: inquirer's ExitPromptError.
      if (error instanceof Error && error.name === 'ExitPromptError') throw new PromptClosed('Operation cancelled.');
      throw error;
    }
  };
  return {
    text: (message) => asked(input({ message }, context)),
    secret: (message) => asked(password({ message, mask: false }, context)),
    confirm: (message) => asked(confirm({ message, default: false }, context)),
    close() {},
  };
}

function linePrompter(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): Prompter {
  const lines = readline.createInterface({ input: stdin, terminal: false });
  const buffered: string[] = [];
  const waiting: ((line: string | null) => void)[] = [];
  let ended = false;
  lines.on('line', (line) => {
    const next = waiting.shift();
    if (next) next(line);
    else buffered.push(line);
  });
  lines.on('close', () => {
    ended = true;
    for (const next of waiting.splice(0)) next(null);
  });

  function ask(question: string): Promise<string> {
    stdout.write(question);
    return new Promise((resolve, reject) => {
      const answer = (line: string | null) => {
        // Nothing is echoed from a pipe: end the question's line for whoever reads the output.
        stdout.write('\n');
        if (line === null) reject(new PromptClosed('The input ended before every question was answered.'));
        else resolve(line);
      };
      const line = buffered.shift();
      if (line !== undefined) answer(line);
      else if (ended) answer(null);
      else waiting.push(answer);
    });
  }
  return {
    text: (message) => ask(`${message}: `),
    secret: (message) => ask(`${message}: `),
    confirm: async (message) => /^\s*y(es)?\s*$/i.test(await ask(`${message} [y/N]: `)),
    close: () => lines.close(),
  };
}
