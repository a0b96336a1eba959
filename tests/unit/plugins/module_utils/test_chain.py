# -*- coding: utf-8 -*-
# Copyright (c) 2026, telephony.starface contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Unit tests of _chain: ordering and verifying leaf -> intermediates -> root."""

from __future__ import annotations

import base64
import itertools
import string

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.telephony.starface.plugins.module_utils._crypto.chain import Chain, build_chain
from ansible_collections.telephony.starface.plugins.module_utils._crypto.x509 import fingerprint, load_certificates
from ansible_collections.telephony.starface.plugins.module_utils._errors import StarfaceError
from ansible_collections.telephony.starface.tests.unit.plugins.module_utils import certfactory
from ansible_collections.telephony.starface.tests.unit.plugins.module_utils.certfactory import (
    DAY, NOW, Issued, cross_sign, ec_key, issue, rsa_key)

ROOT_DN = 'CN=Test Root CA,O=Example Test'
INTERMEDIATE_DN = 'CN=Test Intermediate CA,O=Example Test'
OTHER_ROOT_DN = 'CN=Other Root CA,O=Example Test'


def _subjects(certs):
    """Return the subjects of certificates, for readable comparisons."""
    return [cert.subject.rfc4514_string() for cert in certs]


def _error(certs, **kwargs):
    """Return the StarfaceError build_chain raises."""
    kwargs.setdefault('now', NOW)
    with pytest.raises(StarfaceError) as caught:
        build_chain(certs, **kwargs)
    return caught.value


# ---------------------------------------------------------------- good chains

@pytest.mark.parametrize('order', list(itertools.permutations(range(3))), ids=str)
def test_any_order_gives_leaf_intermediate_root(pki, order):
    given_certs = [pki.chain[index] for index in order]
    chain = build_chain(given_certs, now=NOW)
    assert chain == Chain(pki.leaf.cert, [pki.intermediate.cert], pki.root.cert, True, ())
    assert chain.certificates == pki.chain
    assert chain.leaf_to_root() == pki.chain[:2]
    assert chain.leaf_to_root(include_root=True) == pki.chain


@pytest.mark.parametrize('given_certs, root_in_input', [
    (lambda pki: [pki.intermediate.cert, pki.leaf.cert], False),
    (lambda pki: [pki.root.cert, pki.intermediate.cert, pki.leaf.cert], True),
    (lambda pki: [pki.leaf.cert, pki.intermediate.cert, pki.leaf.cert, pki.intermediate.cert], False),
])
def test_root_given_separately(pki, given_certs, root_in_input):
    chain = build_chain(given_certs(pki), root=pki.root.cert, now=NOW)
    assert chain.certificates == pki.chain
    assert chain.complete and chain.unused == ()
    assert root_in_input or pki.root.cert not in given_certs(pki)


def test_leaf_issued_by_root_directly(pki):
    leaf = issue('direct.example.com', issuer=pki.root)
    chain = build_chain([leaf.cert], root=pki.root.cert, now=NOW)
    assert (chain.leaf, chain.intermediates, chain.root) == (leaf.cert, [], pki.root.cert)


def test_without_root_the_chain_may_stay_open(pki):
    chain = build_chain([pki.intermediate.cert, pki.leaf.cert], now=NOW)
    assert (chain.leaf, chain.intermediates, chain.root, chain.complete) == (
        pki.leaf.cert, [pki.intermediate.cert], None, False)
    assert chain.certificates == pki.chain[:2]


def test_lone_leaf_stays_open(pki):
    chain = build_chain([pki.leaf.cert], now=NOW)
    assert (chain.leaf, chain.intermediates, chain.root, chain.complete) == (pki.leaf.cert, [], None, False)


@pytest.mark.parametrize('ca', [False, True])
def test_self_signed_certificate_alone(ca):
    cert = issue('pbx.example.com', ca=ca).cert
    chain = build_chain([cert], now=NOW)
    assert (chain.leaf, chain.intermediates, chain.root, chain.complete) == (cert, [], None, True)
    assert build_chain([cert], root=cert, now=NOW).leaf == cert


def test_unrelated_extras_are_ignored_and_reported(pki, other_pki):
    sibling = issue('Test Sibling CA', issuer=pki.root, ca=True)
    given_certs = [other_pki.root.cert, pki.leaf.cert, sibling.cert, pki.root.cert, pki.intermediate.cert,
                   other_pki.intermediate.cert]
    chain = build_chain(given_certs, now=NOW)
    assert chain.certificates == pki.chain
    assert chain.unused == (other_pki.root.cert, sibling.cert, other_pki.intermediate.cert)


@pytest.mark.parametrize('kind', ['EC', 'RSA', 'Ed25519', 'EC-P384', 'RSA-PSS'])
def test_key_types(rsa_pki, kind):
    if kind == 'RSA':
        pki = rsa_pki
    else:
        maker = {'EC': ec_key, 'Ed25519': certfactory.ed25519_key, 'EC-P384': lambda: ec_key('P-384'),
                 'RSA-PSS': None}[kind]
        pki = certfactory.Pki(keys=(maker(), maker(), maker())) if maker else _pss_pki()
    chain = build_chain([pki.leaf.cert, pki.root.cert, pki.intermediate.cert], now=NOW)
    assert chain.certificates == pki.chain


def _pss_pki():
    """Return root -> intermediate -> leaf signed with RSASSA-PSS."""
    pki = certfactory.Pki.__new__(certfactory.Pki)
    pki.root = issue('PSS Root', key=rsa_key(2048, 0), ca=True, pss=True)
    pki.intermediate = issue('PSS Intermediate', issuer=pki.root, key=rsa_key(2048, 1), ca=True, pss=True)
    pki.leaf = issue('pss.example.com', issuer=pki.intermediate, key=rsa_key(2048, 2), pss=True)
    return pki


def test_chain_without_key_identifiers():
    root = issue('Plain Root', ca=True, key_ids=False)
    intermediate = issue('Plain Intermediate', issuer=root, ca=True, key_ids=False)
    leaf = issue('plain.example.com', issuer=intermediate, key_ids=False)
    chain = build_chain([root.cert, leaf.cert, intermediate.cert], now=NOW)
    assert chain.certificates == [leaf.cert, intermediate.cert, root.cert]


def test_root_without_extensions_is_a_trust_anchor():
    root = issue('Legacy Root', ca=True, basic_constraints=False, key_usage=False)
    leaf = issue('legacy.example.com', issuer=root)
    assert build_chain([leaf.cert], root=root.cert, now=NOW).root == root.cert
    assert build_chain([leaf.cert, root.cert], now=NOW).root == root.cert


# ---------------------------------------------------------------- cross-signed intermediates

@pytest.fixture(scope='module')
def cross():
    """Return a new root, an old root, an intermediate under the new one and its cross-signed twin."""
    new_root = issue('New Root', ca=True)
    old_root = issue('Old Root', ca=True)
    intermediate = issue('Shared Intermediate', issuer=new_root, ca=True)
    twin = cross_sign(intermediate, old_root)
    leaf = issue('pbx.example.com', issuer=intermediate)
    return new_root, old_root, intermediate, twin, leaf


@pytest.mark.parametrize('root_index, path_index', [(0, 2), (1, 3)], ids=['new-root', 'old-root'])
def test_cross_signed_intermediate_follows_the_given_root(cross, root_index, path_index):
    root, intermediate = cross[root_index].cert, cross[path_index].cert
    twin = cross[5 - path_index].cert
    for given_certs in ([cross[4].cert, cross[3].cert, cross[2].cert], [cross[2].cert, cross[4].cert, cross[3].cert]):
        chain = build_chain(given_certs, root=root, now=NOW)
        assert chain.certificates == [cross[4].cert, intermediate, root]
        assert chain.unused == (twin,)


def test_cross_signed_without_root_ends_at_the_self_signed_one(cross):
    new_root, old_root, intermediate, twin, leaf = cross
    chain = build_chain([leaf.cert, twin.cert, intermediate.cert, old_root.cert], now=NOW)
    assert chain.certificates == [leaf.cert, twin.cert, old_root.cert]
    assert chain.unused == (intermediate.cert,)
    chain = build_chain([leaf.cert, twin.cert, intermediate.cert, new_root.cert], now=NOW)
    assert chain.certificates == [leaf.cert, intermediate.cert, new_root.cert]


def test_cross_signed_prefers_the_valid_twin(cross):
    new_root, intermediate, leaf = cross[0], cross[2], cross[4]
    expired_twin = cross_sign(intermediate, new_root, not_after=NOW - DAY)
    chain = build_chain([leaf.cert, expired_twin.cert, intermediate.cert, new_root.cert], now=NOW)
    assert chain.intermediates == [intermediate.cert]
    chain = build_chain([leaf.cert, intermediate.cert, expired_twin.cert, new_root.cert], now=NOW)
    assert chain.intermediates == [intermediate.cert]


# ---------------------------------------------------------------- errors

def test_missing_intermediate_with_root_names_the_issuer(pki):
    err = _error([pki.leaf.cert], root=pki.root.cert, field='certificate')
    assert "'%s'" % INTERMEDIATE_DN in err.msg
    assert 'missing' in err.msg and ROOT_DN in err.msg
    assert str(err).startswith('certificate: ')


def test_missing_intermediate_without_root_names_the_issuer(pki):
    err = _error([pki.root.cert, pki.leaf.cert])
    assert err.msg.startswith("an intermediate certificate is missing: '%s', the issuer of 'CN=pbx.example.com'"
                              % INTERMEDIATE_DN)


def test_wrong_root_names_both(pki, other_pki):
    err = _error(pki.chain, root=other_pki.root.cert)
    assert err.msg.startswith("wrong root: the chain ends at '%s', but the given root is '%s'"
                              % (ROOT_DN, OTHER_ROOT_DN))


def test_wrong_root_for_an_open_chain(pki, other_pki):
    err = _error(pki.chain[:2], root=other_pki.root.cert)
    assert OTHER_ROOT_DN in err.msg and "'%s'" % ROOT_DN in err.msg and 'did not issue' in err.msg


@pytest.mark.parametrize('who, dates, expected', [
    ('leaf', dict(not_after=NOW - DAY), "the server certificate 'CN=pbx.example.com' expired on 2026-05-31T12:00:00Z."),
    ('leaf', dict(not_before=NOW + DAY), "the server certificate 'CN=pbx.example.com' is not valid yet: it is valid "
                                         "from 2026-06-02T12:00:00Z to 2027-06-01T12:00:00Z."),
    ('intermediate', dict(not_after=NOW - 2 * DAY),
     "the intermediate certificate 'CN=Dated Intermediate,O=Example Test' expired on 2026-05-30T12:00:00Z."),
    ('root', dict(not_after=NOW - 3 * DAY),
     "the root certificate 'CN=Dated Root,O=Example Test' expired on 2026-05-29T12:00:00Z."),
])
def test_dates_are_checked_for_every_certificate(who, dates, expected):
    root = issue('Dated Root', ca=True, **(dates if who == 'root' else {}))
    intermediate = issue('Dated Intermediate', issuer=root, ca=True, **(dates if who == 'intermediate' else {}))
    leaf = issue('pbx.example.com', issuer=intermediate, **(dates if who == 'leaf' else {}))
    err = _error([leaf.cert, intermediate.cert, root.cert])
    assert err.msg == expected
    assert err.details == {'problems': [expected]}


def test_the_same_chain_is_fine_at_another_time(pki):
    assert build_chain(pki.chain, now=NOW + 300 * DAY).root == pki.root.cert
    assert 'expired' in _error(pki.chain, now=NOW + 400 * DAY).msg


def test_loop_is_reported():
    first, second = issue('Loop A', ca=True), issue('Loop B', ca=True)
    first_by_second, second_by_first = cross_sign(first, second), cross_sign(second, first)
    leaf = issue('pbx.example.com', issuer=first)
    err = _error([leaf.cert, first_by_second.cert, second_by_first.cert])
    assert err.msg.startswith("the certificates form a loop: 'CN=Loop A,O=Example Test' -> "
                              "'CN=Loop B,O=Example Test' -> 'CN=Loop A,O=Example Test'")
    err = _error([first_by_second.cert, second_by_first.cert])
    assert 'form a loop' in err.msg and 'Loop A' in err.msg and 'Loop B' in err.msg


def test_loop_is_ignored_when_a_root_is_reached():
    first, second = issue('Loop A', ca=True), issue('Loop B', ca=True)
    leaf = issue('pbx.example.com', issuer=first)
    given_certs = [leaf.cert, cross_sign(first, second).cert, cross_sign(second, first).cert]
    assert build_chain(given_certs, root=first.cert, now=NOW).certificates == [leaf.cert, first.cert]


def test_two_leaves_are_named(pki):
    other = issue('sip.example.com', issuer=pki.intermediate, not_after=NOW + 10 * DAY)
    err = _error([pki.leaf.cert, other.cert, pki.intermediate.cert, pki.root.cert])
    assert err.msg.startswith("2 server certificates given: 'CN=pbx.example.com' (valid until 2027-06-01T12:00:00Z) "
                              "and 'CN=sip.example.com' (valid until 2026-06-11T12:00:00Z).")


def test_only_ca_certificates_is_no_server_certificate(pki):
    err = _error([pki.intermediate.cert, pki.root.cert])
    assert err.msg.startswith("no server certificate given: '%s' is a CA certificate" % INTERMEDIATE_DN)
    err = _error([pki.intermediate.cert], root=pki.root.cert)
    assert 'no server certificate given' in err.msg


@pytest.mark.parametrize('key_ids', [True, False])
def test_foreign_signature_is_explained(pki, key_ids):
    impostor = issue('pbx.example.com', issuer=Issued(pki.intermediate.cert, ec_key()), key_ids=key_ids)
    for root in (None, pki.root.cert):
        err = _error([impostor.cert, pki.intermediate.cert, pki.root.cert], root=root)
        assert err.msg.startswith("the signature of 'CN=pbx.example.com' does not verify with the key of '%s'"
                                  % INTERMEDIATE_DN)


@pytest.mark.parametrize('intermediate_options, expected', [
    (dict(ca=False), "the intermediate certificate 'CN=Bad Intermediate' is not a CA certificate (CA:FALSE), "
                     "so it may not issue 'CN=pbx.example.com'; "),
    (dict(ca=True, basic_constraints=False),
     "the intermediate certificate 'CN=Bad Intermediate,O=Example Test' is not marked as a CA"),
    (dict(ca=True, key_cert_sign=False),
     "the intermediate certificate 'CN=Bad Intermediate,O=Example Test' may not sign certificates (its keyUsage "
     "lacks keyCertSign)"),
])
def test_ca_constraints_of_intermediates(pki, intermediate_options, expected):
    bad = issue('Bad Intermediate', issuer=pki.root, **intermediate_options)
    leaf = issue('pbx.example.com', issuer=bad)
    err = _error([leaf.cert, bad.cert], root=pki.root.cert)
    assert err.msg.startswith(expected)


def test_path_length_is_checked(pki):
    lower = issue('Lower Intermediate', issuer=pki.intermediate, ca=True)
    leaf = issue('pbx.example.com', issuer=lower)
    err = _error([leaf.cert, lower.cert, pki.intermediate.cert, pki.root.cert])
    assert "the intermediate certificate '%s' allows 0 intermediate certificate(s) below it (pathlen:0), but the " \
           "chain has 1." % INTERMEDIATE_DN == err.msg


def test_weak_rsa_key_is_refused_unless_allowed(pki):
    weak = issue('pbx.example.com', issuer=pki.intermediate, key=rsa_key(1024, 0))
    err = _error([weak.cert, pki.intermediate.cert, pki.root.cert])
    assert err.msg == "the server certificate 'CN=pbx.example.com' has a weak RSA key of 1024 bits: at least 2048 " \
                      "bits are needed."
    assert build_chain([weak.cert, pki.intermediate.cert, pki.root.cert], now=NOW, min_rsa_bits=1024).leaf == weak.cert
    assert 'at least 4096 bits' in _error([weak.cert, pki.intermediate.cert, pki.root.cert], min_rsa_bits=4096).msg


@pytest.fixture(scope='module')
def sha1_pki():
    """Return an RSA root (signed with SHA-1 itself), an intermediate and a leaf, each signed with SHA-1."""
    root = issue('SHA1 Root', key=rsa_key(2048, 0), ca=True, hash_name='sha1')
    intermediate = issue('SHA1 Intermediate', issuer=root, key=rsa_key(2048, 1), ca=True, hash_name='sha1')
    leaf = issue('pbx.example.com', issuer=intermediate, key=rsa_key(2048, 2), hash_name='sha1')
    good_intermediate = issue('SHA256 Intermediate', issuer=root, key=rsa_key(2048, 1), ca=True)
    good_leaf = issue('pbx.example.com', issuer=good_intermediate, key=rsa_key(2048, 2))
    return root, intermediate, leaf, good_intermediate, good_leaf


def test_sha1_is_refused_on_leaf_and_intermediates_unless_allowed(sha1_pki):
    root, intermediate, leaf = sha1_pki[:3]
    err = _error([leaf.cert, intermediate.cert, root.cert])
    assert err.details['problems'] == [
        "the server certificate 'CN=pbx.example.com' is signed with SHA-1, which clients refuse: get it signed "
        "with SHA-256.",
        "the intermediate certificate 'CN=SHA1 Intermediate,O=Example Test' is signed with SHA-1, which clients "
        "refuse: get it signed with SHA-256."]
    chain = build_chain([leaf.cert, intermediate.cert, root.cert], now=NOW, allow_sha1=True)
    assert chain.certificates == [leaf.cert, intermediate.cert, root.cert]


def test_sha1_self_signed_root_is_fine(sha1_pki):
    root, good_intermediate, good_leaf = sha1_pki[0], sha1_pki[3], sha1_pki[4]
    assert build_chain([good_leaf.cert, good_intermediate.cert], root=root.cert, now=NOW).root == root.cert


def test_sha1_self_signed_leaf_is_refused():
    cert = issue('pbx.example.com', key=rsa_key(2048, 0), hash_name='sha1').cert
    assert 'SHA-1' in _error([cert]).msg


def test_every_problem_is_reported_at_once(pki):
    bad = issue('pbx.example.com', issuer=pki.intermediate, key=rsa_key(1024, 0), not_after=NOW - DAY)
    err = _error([bad.cert, pki.intermediate.cert], root=pki.root.cert)
    assert len(err.details['problems']) == 2
    assert 'expired' in err.msg and 'weak RSA key' in err.msg


def test_nothing_given():
    assert _error([]).msg == 'no certificate given.'


# ---------------------------------------------------------------- property: pasted text never changes the result

JUNK_LINES = st.sampled_from([
    'Subject: CN=pbx.example.com', 'Issuer: O=Example Test, CN=Test Intermediate CA', 'Bag Attributes',
    '    localKeyID: 01 00 00 00', 'subject=/CN=pbx.example.com', 'issuer=/O=Example Test/CN=Test Root CA',
    'Certificate:', '        Signature Algorithm: ecdsa-with-SHA256', '', 'Here is your certificate:',
]) | st.text(alphabet=string.ascii_letters + string.digits + ' \t:=/,.#*', max_size=30)
PADDING = st.sampled_from(['', ' ', '\t', '  \t ', '\u00a0'])


@st.composite
def messy_pem(draw, certs):
    """Return the certificates as PEM text, shuffled and re-spaced like people paste it."""
    newline = draw(st.sampled_from(['\n', '\r\n', '\r']))
    lines = []
    for cert in draw(st.permutations(certs)):
        lines.extend(draw(st.lists(JUNK_LINES, max_size=3)))
        body = base64.b64encode(certfactory.der(cert)).decode('ascii')
        width = draw(st.sampled_from([64, 76, 40, len(body)]))
        block = ['-----BEGIN CERTIFICATE-----'] + [body[pos:pos + width] for pos in range(0, len(body), width)]
        for line in block + ['-----END CERTIFICATE-----']:
            lines.append(draw(PADDING) + line + draw(PADDING))
            lines.extend([draw(PADDING)] * draw(st.integers(0, 2)))
    lines.extend(draw(st.lists(JUNK_LINES, max_size=3)))
    text = ('\ufeff' if draw(st.booleans()) else '') + newline.join(lines)
    return text.encode('utf-8') if draw(st.booleans()) else text


@settings(max_examples=50, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_shuffled_and_respaced_pem_gives_the_same_chain(pki, data):
    text = data.draw(messy_pem(pki.chain))
    chain = build_chain(load_certificates(text, 'certificate'), now=NOW)
    assert [fingerprint(cert) for cert in chain.certificates] == [fingerprint(cert) for cert in pki.chain]
