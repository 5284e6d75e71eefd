"""Tasks and their downward assignments."""
from __future__ import annotations

from flask import Blueprint

from jiceng.platform.assignments import tasks as service
from jiceng.platform.api.auth import caller, requires
from jiceng.platform.api.body import json_body
from jiceng.platform.api.openapi import operation
from jiceng.platform.api.respond import respond
from jiceng.platform.api.context import runtime
from jiceng.platform.api.schemas import AssignmentPatchResponseSchema, AssignmentPatchSchema, AssignmentSchema, AssignRequestSchema, AssignResponseSchema, TaskCreateSchema, TaskListSchema, TaskSchema

bp = Blueprint("tasks", __name__, url_prefix="/api/v1/tenants/<tenant>")
TAGS = ["任务与下派"]


@bp.post("/tasks")
@operation("按租户任务表单创建任务(不符合表单时 422,details 为 [{path, message}])", TAGS,
           body=TaskCreateSchema, response=TaskSchema, status=201, errors=(401, 403, 404, 409))
@requires("task.create")
def create_task(tenant: str):
    data = json_body(TaskCreateSchema())["task"]
    return respond(TaskSchema(), service.create_task(runtime(), caller(), tenant, data), 201)


@bp.get("/tasks")
@operation("最近的任务", TAGS, response=TaskListSchema)
@requires("read")
def list_tasks(tenant: str):
    return respond(TaskListSchema(), {"tasks": service.list_tasks(runtime(), tenant)})


@bp.get("/tasks/<id:task_id>")
@operation("一个任务及其全部下派记录", TAGS, response=TaskSchema)
@requires("read")
def read_task(tenant: str, task_id: int):
    return respond(TaskSchema(), service.read_task(runtime(), tenant, task_id))


@bp.post("/tasks/<id:task_id>/assignments")
@operation("向下派发给一个或多个单位,逐个按其生效规则包判定", TAGS, body=AssignRequestSchema,
           response=AssignResponseSchema, errors=(401, 403, 404, 409),
           description="不予准入的单位不产生下派记录;有条件准入的单位产生待补充(pending)的下派记录,"
                       "用 PATCH 补充条件后重新判定。children_of 表示该单位的全部下级。")
@requires("task.assign")
def assign(tenant: str, task_id: int):
    body = json_body(AssignRequestSchema())
    return respond(AssignResponseSchema(), service.assign(runtime(), caller(), tenant, task_id, body["targets"],
                                                          body.get("children_of"), body.get("on")))


@bp.get("/assignments/<id:assignment_id>")
@operation("一条下派记录", TAGS, response=AssignmentSchema)
@requires("read")
def read_assignment(tenant: str, assignment_id: int):
    return respond(AssignmentSchema(), service.read_assignment(runtime(), tenant, assignment_id))


@bp.patch("/assignments/<id:assignment_id>")
@operation("为下派记录等待的条件补充证明材料并重新判定", TAGS, body=AssignmentPatchSchema,
           response=AssignmentPatchResponseSchema, errors=(401, 403, 404, 409, 422),
           description="evidence 只能给出该下派记录等待的要求代码及其证明材料;任务一经建立不可修改(给出 task 时 "
                       "422 task_immutable);按服务器当天的日期重新判定(给出 on 时 422 on_not_allowed)。")
@requires("task.assign")
def patch_assignment(tenant: str, assignment_id: int):
    body = json_body(AssignmentPatchSchema())
    return respond(AssignmentPatchResponseSchema(),
                   service.update_assignment(runtime(), caller(), tenant, assignment_id, body.get("evidence"),
                                             body.get("task"), body.get("on")))
