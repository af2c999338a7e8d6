/**
 * The Ansible lookup plugin airlock writes into its temporary directory. It templates each
 * text of a JSON list with the play's variables, exactly as Ansible templates a variable,
 * and writes every value (or the error that stopped it) to another JSON file: one failing
 * expression does not stop the others, so every problem is reported in one run.
 */

/** The plugin's module name (`lookup('airlock_eval', ...)`). */
export const LOOKUP_NAME = 'airlock_eval';

/** Python source of the plugin. */
export const LOOKUP_SOURCE = `# Written by airlock for one run; deleted with its directory.
import json

from ansible.plugins.lookup import LookupBase


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        source, dest = terms[0], terms[1]
        with open(source, encoding='utf-8') as f:
            texts = json.load(f)
        self._templar.available_variables = variables or {}
        results = []
        for text in texts:
            try:
                results.append({'value': self._templar.template(text, fail_on_undefined=True)})
            except Exception as e:  # each failure is one result; the others still run
                results.append({'error': str(e) or type(e).__name__})
        with open(dest, 'w', encoding='utf-8') as f:
            json.dump(results, f, default=str)
        return [len(results)]
`;
