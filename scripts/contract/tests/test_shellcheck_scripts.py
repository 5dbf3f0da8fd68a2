"""shellcheck_scripts fails on planted script defects, in user data, S3 objects and heredoc scripts."""

import base64
import unittest
import urllib.parse

import recording
import shellcheck_scripts

CLEAN = "#!/bin/bash\nset -euo pipefail\nname=\"$1\"\necho \"hello $name\"\n"
# SC2024: the redirect is not done by sudo (the defect the EMR bootstrap had).
SUDO_REDIRECT = "#!/bin/bash\nsudo echo ready > /var/log/ready.log\n"


def codes(text):
    return {code for code, _line, _message in shellcheck_scripts.shellcheck(text)}


class Shellcheck(unittest.TestCase):
    def test_clean_script_passes(self):
        self.assertEqual(codes(CLEAN), set())

    def test_planted_defect_fails(self):
        self.assertIn("SC2024", codes(SUDO_REDIRECT))

    def test_script_written_through_an_unquoted_heredoc_is_checked_as_written(self):
        outer = (
            "#!/bin/bash\nREGION=us-east-1\ncat > /tmp/inner.sh <<SCRIPT\n#!/bin/bash\n"
            "secret=\\$(aws ssm get-parameter --region \"$REGION\" --name x)\n"
            "local bad=\"\\$secret\"\nSCRIPT\n"
        )
        [(delimiter, inner)] = shellcheck_scripts.heredoc_scripts(outer)
        self.assertEqual(delimiter, "SCRIPT")
        self.assertIn('secret=$(aws ssm get-parameter --region "EXPANDED_BY_OUTER_SCRIPT" --name x)', inner)
        # SC2168: `local` outside a function, only visible in the inner script.
        self.assertIn("SC2168", codes(inner))
        self.assertNotIn("SC2168", codes(outer))

    def test_quoted_heredoc_is_taken_literally(self):
        outer = "#!/bin/bash\ncat > /tmp/inner.sh <<'EOF'\n#!/bin/bash\necho \"$HOME\"\nEOF\n"
        [(_, inner)] = shellcheck_scripts.heredoc_scripts(outer)
        self.assertEqual(inner, '#!/bin/bash\necho "$HOME"\n')

    def test_scripts_are_found_in_user_data_and_bootstrap_objects(self):
        form = urllib.parse.urlencode({
            "Action": "CreateLaunchTemplate", "Version": "2016-11-15", "LaunchTemplateName": "lt",
            "LaunchTemplateData.UserData": base64.b64encode(SUDO_REDIRECT.encode()).decode(),
        })
        requests = [
            recording.Request({"service": "ec2", "method": "POST", "path": "/", "body": form}, 1),
            recording.Request({"service": "s3", "method": "PUT", "path": "/bucket/bootstrap/node.sh",
                               "query": "x-id=PutObject", "body": CLEAN}, 2),
        ]
        found = {label: text for label, _where, text in shellcheck_scripts.extract(requests)}
        self.assertEqual(found, {"user-data": SUDO_REDIRECT, "s3:node.sh": CLEAN})


if __name__ == "__main__":
    unittest.main()
