"""How a deploy problem names its place (engine.bpmn.problems.Problem), for the tests of refused BPMN."""


def line_of(content: bytes, element: str) -> int:
    return content[:content.index(f'id="{element}"'.encode())].count(b"\n") + 1


TYPES = {"scriptTask": "задача-скрипт", "userTask": "пользовательская задача", "callActivity": "вызов процесса",
         "exclusiveGateway": "исключающий шлюз", "sequenceFlow": "поток управления", "process": "процесс",
         "intermediateCatchEvent": "промежуточное событие-ожидание", "boundaryEvent": "граничное событие",
         "intermediateThrowEvent": "промежуточное событие-отправка", "complexGateway": "сложный шлюз"}


def at(content: bytes, element: str, kind: str) -> str:
    """How a problem names an element: "задача-скрипт «x», строка 7"."""
    return f"{TYPES[kind]} «{element}», строка {line_of(content, element)}"


def located(problem, content: bytes, element: str, kind: str, code_line=None) -> None:
    """The problem's place, as the modeller reads it (Problem.as_dict)."""
    place = problem.as_dict()
    assert (place["element"], place["element_type"], place["line"], place["code_line"]) == (
        element, kind, line_of(content, element), code_line), place
    in_code = f" (строка {code_line} кода)" if code_line else ""
    assert place["text"] == f"bad.bpmn, {at(content, element, kind)}: {place['message']}{in_code}"
