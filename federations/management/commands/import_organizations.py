"""Import organizations from a register file (XLSX or CSV, Chinese column headers).

    manage.py import_organizations register.xlsx --as admin --reason "2026 年度登记册"

All or nothing: on any bad row nothing is imported and every bad row is listed.
"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.utils import translation
from tqdm import tqdm

from access.models import User
from core.errors import DomainError
from federations.importing import ImportRefused, count_rows, import_organizations


class Command(BaseCommand):
    help = "Import community social organizations from an XLSX or CSV register (all or nothing)."

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--as",
            dest="username",
            required=True,
            help="The user whose roles allow the import (an administrator or federation staff).",
        )
        parser.add_argument("--reason", default="", help="Recorded in each row's history.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar.")

    def handle(self, *args, file: Path, username: str, reason: str, no_progress: bool, **opts):
        translation.activate("zh-hans")
        if not file.exists():
            raise CommandError(f"No such file: {file}")
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user {username!r}")
        data = file.read_bytes()
        total = count_rows(data, file.name)
        bar = tqdm(
            total=total * 2,
            desc="校验并导入",
            unit="行",
            disable=no_progress,
            file=self.stderr._out,
        )
        try:
            result = import_organizations(
                actor=user,
                data=data,
                filename=file.name,
                reason=reason,
                progress=bar.update,
            )
        except ImportRefused as exc:
            bar.close()
            for error in exc.errors:
                self.stderr.write(f"第 {error.line} 行 [{error.column}] {error.reason}")
            raise CommandError(str(exc.detail)) from exc
        except DomainError as exc:
            bar.close()
            raise CommandError(str(exc.detail)) from exc
        bar.close()
        self.stdout.write(f"已导入 {result.created} 个社区社会组织。")
