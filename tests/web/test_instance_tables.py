"""Tables a process offers for download (its data key `exports`): listed on the instance page, downloaded as .xlsx
with the diagram's Russian headers and ISO dates as dates, an empty table refused with a message instead of an
empty file, and nothing for someone who may not see the instance."""
import io
from datetime import datetime

import openpyxl

import engine
from engine.db import db
from tests.conftest import linear

STAFF = '''<bpmn:scriptTask id="n1"><bpmn:script>exports = {
    'ckodiro': {'title': 'Список: работники ППЭ [ЦКО ДИРО]', 'columns': ['№', 'ФИО', 'Дата экзамена', 'Предметы'],
                'rows': [[1, 'Иванова А.А.', '2021-06-07', ['математика', 'физика']], [2, 'Петров Б.Б.', '2021-06-11', []]]},
    'open_issues': {'title': 'Нерешённые вопросы', 'columns': ['ФИО'], 'rows': []},
    'not a name!': {'title': 'x', 'columns': [], 'rows': []},
    'broken': {'title': 'нет строк списком', 'columns': ['a'], 'rows': 'a'}}</bpmn:script></bpmn:scriptTask>'''


def started(process_id="tables"):
    engine.deploy([("tables.bpmn", linear(STAFF, process_id=process_id))], actor="admin")
    instance_id = engine.start(process_id, {}, unit="guo", actor="iao").instance_id
    db.session.commit()
    return instance_id


def test_a_table_of_the_process_downloads_as_excel_with_its_headers_and_dates(site):
    instance_id = started()
    iao = site("iao")
    page = iao.get(f"/instances/{instance_id}").get_data(as_text=True)
    assert f"/instances/{instance_id}/exports/ckodiro.xlsx" in page and "Список: работники ППЭ [ЦКО ДИРО]" in page
    assert "Нерешённые вопросы" in page and "/exports/open_issues.xlsx" not in page  # listed, not offered
    downloads = page.split('<ul class="downloads">')[1].split("</ul>")[0]  # (the data's JSON view shows them all)
    assert "broken" not in downloads and "not a name" not in downloads  # malformed entries are left out

    response = iao.get(f"/instances/{instance_id}/exports/ckodiro.xlsx")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = openpyxl.load_workbook(io.BytesIO(response.data)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == ["№", "ФИО", "Дата экзамена", "Предметы"]
    assert rows[1] == [1, "Иванова А.А.", datetime(2021, 6, 7), "математика, физика"]
    assert rows[2][:2] == [2, "Петров Б.Б."] and rows[2][3] in ("", None)
    assert sheet["C2"].number_format == "DD.MM.YYYY"
    assert sheet.title == "Список  работники ППЭ  ЦКО ДИРО"[:31]


def test_an_empty_table_or_an_unknown_one_is_refused_with_a_message(site):
    instance_id = started()
    iao = site("iao")
    response = iao.get(f"/instances/{instance_id}/exports/open_issues.xlsx")
    assert response.status_code == 302 and response.location.endswith(f"/instances/{instance_id}")
    page = iao.get(response.location).get_data(as_text=True)
    assert "«Нерешённые вопросы» пока нет строк" in page
    assert iao.get(f"/instances/{instance_id}/exports/nothing.xlsx").status_code == 404


def test_someone_who_may_not_see_the_instance_gets_nothing(site):
    instance_id = started()
    head12 = site("head12")
    response = head12.get(f"/instances/{instance_id}/exports/ckodiro.xlsx")
    assert response.status_code in (403, 404) and "Иванова" not in response.get_data(as_text=True)
