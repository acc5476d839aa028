#!/usr/bin/env python3
"""Tests for build/mkcpio.py (run by //build:mkcpio_test; stdlib only)."""

import os
import shutil
import stat
import subprocess
import sys
import tempfile
import unittest

sys.dont_write_bytecode = True
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import mkcpio  # pylint: disable=wrong-import-position


class MkcpioTest(unittest.TestCase):

    def setUp(self):
        self.tmp = tempfile.mkdtemp()
        self.src = os.path.join(self.tmp, 'prog')
        with open(self.src, 'wb') as f:
            f.write(b'\x7fELF-not-really' * 10)
        os.chmod(self.src, 0o755)
        self.text = os.path.join(self.tmp, 'text')
        with open(self.text, 'w') as f:
            f.write('hello\n')
        os.chmod(self.text, 0o644)

    def tearDown(self):
        shutil.rmtree(self.tmp)

    def pack(self, *args):
        out = os.path.join(self.tmp, 'out.cpio')
        self.assertEqual(mkcpio.main(['--out', out] + list(args)), 0)
        with open(out, 'rb') as f:
            return out, f.read()

    def entries(self, path):
        return {'/' + name: (mode, data) for mode, name, data in mkcpio.list_archive(path)}

    def test_files_dirs_symlinks_nodes(self):
        out, blob = self.pack('--file', '/test/prog', self.src, '--file', '/etc/motd', self.text,
                              '--dir', '/tmp', '--symlink', '/init', '/test/prog',
                              '--node', '/dev/console', 'c', '5', '1')
        self.assertEqual(len(blob) % 512, 0)
        e = self.entries(out)
        self.assertEqual(sorted(e), ['/dev', '/dev/console', '/etc', '/etc/motd', '/init',
                                     '/test', '/test/prog', '/tmp'])
        self.assertEqual(e['/test/prog'][0], stat.S_IFREG | 0o755)
        self.assertEqual(e['/etc/motd'], (stat.S_IFREG | 0o644, b'hello\n'))
        self.assertEqual(e['/init'], (stat.S_IFLNK | 0o777, b'/test/prog'))
        self.assertTrue(stat.S_ISDIR(e['/test'][0]))
        self.assertTrue(stat.S_ISCHR(e['/dev/console'][0]))
        # Names are stored without the leading slash, parents first.
        names = [n for _, n, _ in mkcpio.list_archive(out)]
        self.assertEqual(names, sorted(names))
        self.assertNotIn('/', [n[0] for n in names])

    def test_deterministic(self):
        _, a = self.pack('--file', '/b', self.src, '--file', '/a', self.text)
        os.utime(self.src, (12345, 12345))
        _, b = self.pack('--file', '/a', self.text, '--file', '/b', self.src)
        self.assertEqual(a, b)

    def test_mode_override_and_later_wins(self):
        out, _ = self.pack('--file', '/x', self.text, '--file', '/x', self.src,
                           '--mode', '/x', '0700')
        e = self.entries(out)
        self.assertEqual(e['/x'][0], stat.S_IFREG | 0o700)
        self.assertTrue(e['/x'][1].startswith(b'\x7fELF'))

    def test_tree(self):
        tree = os.path.join(self.tmp, 'tree')
        os.makedirs(os.path.join(tree, 'sub'))
        shutil.copy(self.text, os.path.join(tree, 'sub', 'f'))
        os.symlink('sub/f', os.path.join(tree, 'l'))
        out, _ = self.pack('--tree', '/', tree, '--tree', '/opt', tree)
        e = self.entries(out)
        for p in ('/sub', '/sub/f', '/l', '/opt/sub/f', '/opt/l'):
            self.assertIn(p, e)
        self.assertEqual(e['/l'], (stat.S_IFLNK | 0o777, b'sub/f'))

    def test_merge(self):
        first, _ = self.pack('--file', '/a', self.text, '--symlink', '/l', 'a')
        merged = os.path.join(self.tmp, 'first.cpio')
        os.rename(first, merged)
        out, _ = self.pack('--merge', merged, '--file', '/a', self.src, '--file', '/b', self.text)
        e = self.entries(out)
        self.assertEqual(sorted(e), ['/a', '/b', '/l'])
        self.assertTrue(e['/a'][1].startswith(b'\x7fELF'))  # the later entry wins
        self.assertEqual(e['/l'], (stat.S_IFLNK | 0o777, b'a'))

    def test_file_under_a_file_is_an_error(self):
        with self.assertRaises(SystemExit):
            self.pack('--file', '/a', self.text, '--file', '/a/b', self.text)

    def test_busybox_applets(self):
        busybox = '/bin/busybox'
        if not os.path.exists(busybox):
            self.skipTest('no /bin/busybox')
        out, _ = self.pack('--busybox', busybox)
        e = self.entries(out)
        self.assertEqual(e['/bin/busybox'][0], stat.S_IFREG | 0o755)
        for applet in ('sh', 'ls', 'cat', 'awk'):
            self.assertEqual(e['/bin/' + applet], (stat.S_IFLNK | 0o777, b'busybox'))

    def test_system_cpio_reads_it(self):
        cpio = shutil.which('cpio')
        if cpio is None:
            self.skipTest('no cpio')
        out, _ = self.pack('--file', '/test/prog', self.src, '--symlink', '/l', 'test/prog')
        dest = os.path.join(self.tmp, 'x')
        os.mkdir(dest)
        with open(out, 'rb') as f:
            subprocess.run([cpio, '-idm', '--quiet'], stdin=f, cwd=dest, check=True)
        with open(os.path.join(dest, 'test', 'prog'), 'rb') as f, open(self.src, 'rb') as g:
            self.assertEqual(f.read(), g.read())
        self.assertEqual(os.readlink(os.path.join(dest, 'l')), 'test/prog')


if __name__ == '__main__':
    unittest.main()
