# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Settings `make docs` appends to the conf.py that `antsibull-docs sphinx-init` writes.

The build runs offline and with Sphinx warnings as errors:

- No intersphinx inventories: sphinx-init names docs.python.org, docs.ansible.com and
  jinja's site, which the build machines cannot reach (and each miss is a warning).
- References to the Ansible docsite that our pages make (community.crypto and
  ansible.builtin modules, the common return values, the configuration settings) become
  plain links to docs.ansible.com. `antsibull-docs lint-collection-docs` has checked those
  against the installed collections already. Any other unresolved reference, such as one
  to a page of this collection that does not exist, still fails the build.

Appended to conf.py, so no `from __future__` import here.
"""

from docutils import nodes

intersphinx_mapping = {}

ANSIBLE_DOCSITE = 'https://docs.ansible.com/projects/ansible/latest/'
OWN_COLLECTION = 'telephony.starface'
# labels of the Ansible docsite itself that antsibull-docs' pages refer to
DOCSITE_PAGES = {
    'common_return_values': 'reference_appendices/common_return_values.html',
    'ansible_configuration_settings': 'reference_appendices/config.html',
}
PLUGIN_TYPES = (
    'become', 'cache', 'callback', 'cliconf', 'connection', 'filter', 'httpapi', 'inventory',
    'lookup', 'module', 'netconf', 'role', 'shell', 'strategy', 'test', 'vars',
)


def docsite_url(label):
    """The docs.ansible.com address of an antsibull-docs label outside this collection, or None."""
    if label in DOCSITE_PAGES:
        return ANSIBLE_DOCSITE + DOCSITE_PAGES[label]
    page, sep, anchor = label.partition('__')
    parts = page.split('.')
    if len(parts) != 4 or parts[0] != 'ansible_collections':
        return None
    namespace, name, plugin = parts[1:]
    if '%s.%s' % (namespace, name) == OWN_COLLECTION:
        return None
    if plugin.rpartition('_')[2] not in PLUGIN_TYPES:
        return None
    url = '%scollections/%s/%s/%s.html' % (ANSIBLE_DOCSITE, namespace, name, plugin)
    if sep:
        # a role's option label is parameter-<entry point>__<option>, its page anchor
        # parameter-<entry point>--<option>
        url += '#' + anchor.replace('__', '--')
    return url


def link_to_docsite(app, env, node, contnode):  # pylint: disable=unused-argument
    """Sphinx missing-reference handler: a link to docs.ansible.com, or None."""
    if node.get('refdomain') != 'std' or node.get('reftype') != 'ref':
        return None
    url = docsite_url(node.get('reftarget', ''))
    if url is None:
        return None
    reference = nodes.reference('', '', internal=False, refuri=url)
    reference.append(contnode)
    return reference


def setup(app):
    """Register the handler (Sphinx calls a setup() in conf.py like an extension's)."""
    app.connect('missing-reference', link_to_docsite)
